import { Injectable } from '@nestjs/common';
import type { ScopeTarget } from '../access-policy.js';
import type { LookupKind } from './permission.js';

/** Finds a record's scope by its id; null when there is no such record. */
export type ScopeLookup = (id: string, argument: string) => Promise<ScopeTarget | null>;

/**
 * How the guard finds a record's project, institution or owner. Each owning domain registers
 * the lookups of its records when its module starts, so identity needs to know no other domain.
 */
@Injectable()
export class ScopeLookups {
  private readonly lookups = new Map<LookupKind, ScopeLookup>();

  provide(kind: LookupKind, lookup: ScopeLookup): void {
    if (this.lookups.has(kind)) throw new Error(`the ${kind} scope lookup is registered twice`);
    this.lookups.set(kind, lookup);
  }

  has(kind: LookupKind): boolean {
    return this.lookups.has(kind);
  }

  /** `argument` is the argument's name, for a malformed id's BAD_USER_INPUT. */
  find(kind: LookupKind, id: string, argument: string): Promise<ScopeTarget | null> {
    const lookup = this.lookups.get(kind);
    if (!lookup) throw new Error(`no domain registered a lookup for the ${kind} scope`);
    return lookup(id, argument);
  }
}
