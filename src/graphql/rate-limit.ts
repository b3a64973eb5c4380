import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { isIPv4, isIPv6 } from 'node:net';
import type { RequestContext } from '../identity/current-principal.decorator.js';
import { measureOperation } from './limits.js';
import { rootFields } from './operation-scope.js';

export type Take = { allowed: true } | { allowed: false; /** null: never, the take being more than the burst */ retryAfterSeconds: number | null };

/**
 * Token buckets, one per key: `perSecond` tokens flow in up to `burst`; a call takes what it
 * costs, all or nothing. In memory, per broker process: several processes each allow the
 * configured rate.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Full buckets are dropped when the map grows past this, so its memory stays bounded. */
  private sweepAt = 10_000;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes `amount` tokens; when fewer are left, takes none and says how many seconds until there are enough. */
  take(key: string, amount = 1): Take {
    if (amount > this.burst) return { allowed: false, retryAfterSeconds: null };
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.sweepAt) this.forgetFull(now);
    if (bucket.tokens >= amount) {
      bucket.tokens -= amount;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((amount - bucket.tokens) / this.perSecond)) };
  }

  /** A full bucket is the same as no bucket: drop those; sweep again only when the map has doubled, so sweeping stays cheap. */
  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    this.sweepAt = Math.max(10_000, 2 * this.buckets.size);
  }
}

/**
 * Whom a limit counts against: the principal; a caller without valid credentials by its address
 * (an IPv6 caller by its /64 network, which one host usually has to itself).
 */
export function callerKey(principalId: string | null, address: string | undefined): string {
  if (principalId) return principalId;
  if (!address) return 'address:unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped || isIPv4(address)) return `address:${mapped ?? address}`;
  if (!isIPv6(address)) return `address:${address}`;
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `address:${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}

function rateLimited(message: string, retryAfterSeconds: number | null): GraphQLError {
  const headers = new Map(retryAfterSeconds === null ? [] : [['retry-after', String(retryAfterSeconds)]]);
  return new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', http: { status: 429, headers } } });
}

function fragmentsOf(document: DocumentNode): (name: string) => FragmentDefinitionNode | undefined {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return (name) => fragments.get(name);
}

export interface RateLimits {
  /** Mutations: each mutation field of a document takes a token, aliases too. */
  mutations: TokenBuckets;
  /** Queries: each takes its estimated cost (see limits.ts). */
  queryCost: TokenBuckets;
}

/**
 * Limits what each caller may ask of the broker over HTTP; over the limit: HTTP 429 with
 * Retry-After, code RATE_LIMITED. Subscriptions go over the WebSocket and are not counted here.
 */
export function rateLimitPlugin(limits: RateLimits): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, contextValue }) {
          if (!operation) return;
          const principal = contextValue.principal;
          const key = callerKey(principal?.id ?? null, contextValue.clientAddress);
          const who = principal?.name ?? `anonymous callers from ${key.slice('address:'.length)}`;
          if (operation.operation === 'mutation') {
            const count = rootFields(operation.selectionSet, document).filter((f) => f !== '__typename').length;
            const outcome = limits.mutations.take(key, count);
            if (outcome.allowed) return;
            if (outcome.retryAfterSeconds === null) throw rateLimited(`rate limit: one request may make at most ${limits.mutations.burst} mutations; this one makes ${count}`, null);
            throw rateLimited(`rate limit: too many mutations from ${who} (each mutation counts, aliases too); try again in ${outcome.retryAfterSeconds} s`, outcome.retryAfterSeconds);
          }
          if (operation.operation === 'query') {
            const { cost } = measureOperation(schema, operation, fragmentsOf(document));
            const outcome = limits.queryCost.take(key, cost);
            if (outcome.allowed) return;
            const budget = `an estimated cost of ${limits.queryCost.perSecond} a second, ${limits.queryCost.burst} at once`;
            const wait = outcome.retryAfterSeconds === null ? 'ask for smaller pages' : `try again in ${outcome.retryAfterSeconds} s`;
            throw rateLimited(`rate limit: the queries of ${who} have used their budget (${budget}); this one costs ${cost}; ${wait}`, outcome.retryAfterSeconds);
          }
        },
      };
    },
  };
}
