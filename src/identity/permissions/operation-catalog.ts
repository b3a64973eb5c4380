import { Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { RESOLVER_NAME_METADATA, RESOLVER_TYPE_METADATA } from '@nestjs/graphql';
import { PERMISSION_RULES } from '../access-policy.js';
import { ALLOW_METADATA, isLookupScope, type AllowDeclaration, type LookupKind } from './permission.js';
import { ScopeLookups } from './scope-lookups.js';

export type OperationType = 'Query' | 'Mutation' | 'Subscription';
const OPERATION_TYPES = new Set<string>(['Query', 'Mutation', 'Subscription']);

export interface DeclaredOperation {
  type: OperationType;
  name: string;
  /** undefined: the operation declares no permission (the broker refuses to start) */
  allow?: AllowDeclaration;
}

/**
 * Every query, mutation and subscription of the API with its @Allow declaration, found once at
 * start from the resolvers. The broker does not start while one lacks a declaration, declares a
 * scope its permission's rule cannot read, or needs a lookup no domain registered: a new
 * operation is refused until someone says who may call it.
 */
@Injectable()
export class OperationCatalog implements OnModuleInit, OnApplicationBootstrap {
  private operations: DeclaredOperation[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly lookups: ScopeLookups,
  ) {}

  onModuleInit(): void {
    this.operations = this.discover();
  }

  /** Checked once the domains have registered their lookups (they do so in onModuleInit). */
  onApplicationBootstrap(): void {
    const problems = this.operations.flatMap((op) => problemsOf(op, (kind) => this.lookups.has(kind)));
    if (problems.length > 0) throw new Error(`operations without a valid @Allow declaration:\n  ${problems.join('\n  ')}`);
  }

  all(): readonly DeclaredOperation[] {
    return this.operations;
  }

  /** The names of the root fields of these types, e.g. what a token may be limited to. */
  names(types: readonly OperationType[]): Set<string> {
    return new Set(this.operations.filter((op) => types.includes(op.type)).map((op) => op.name));
  }

  private discover(): DeclaredOperation[] {
    const found: DeclaredOperation[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[method];
        if (typeof handler !== 'function') continue;
        const type: unknown = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler);
        if (typeof type !== 'string' || !OPERATION_TYPES.has(type)) continue;
        const name: unknown = Reflect.getMetadata(RESOLVER_NAME_METADATA, handler);
        found.push({ type: type as OperationType, name: typeof name === 'string' ? name : method, allow: this.reflector.get<AllowDeclaration | undefined>(ALLOW_METADATA, handler) });
      }
    }
    return found.sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  }
}

/** What is wrong with an operation's declaration, in words; none when it is sound. */
export function problemsOf(op: DeclaredOperation, hasLookup: (kind: LookupKind) => boolean): string[] {
  const label = `${op.type}.${op.name}`;
  if (!op.allow) return [`${label}: no @Allow(Permission.X, { scope }) declaration`];
  const { permission, scope } = op.allow;
  const rule = PERMISSION_RULES[permission];
  if (!rule.scopes.includes(scope.kind)) return [`${label}: ${permission} is checked on a ${rule.scopes.join(' or ')} scope, not ${scope.kind}`];
  if (isLookupScope(scope) && !hasLookup(scope.kind)) return [`${label}: no domain registered a ${scope.kind} lookup`];
  return [];
}
