import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { RequestContext } from '../identity/current-principal.decorator.js';

/**
 * Token buckets, one per key: `perSecond` tokens flow in up to `burst`; each call takes one.
 * In memory, per broker process: several processes each allow the configured rate.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Takes a token; when none is left, says how many seconds until the next one. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.forgetFull(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  /** A full bucket is the same as no bucket: drop those to bound memory. */
  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
  }
}

/** Limits mutations per authenticated principal; over the limit: HTTP 429, code RATE_LIMITED. */
export function rateLimitPlugin(buckets: TokenBuckets): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const principal = contextValue.principal;
          if (operation?.operation !== 'mutation' || !principal) return;
          const outcome = buckets.take(principal.id);
          if (outcome.allowed) return;
          throw new GraphQLError(`rate limit: too many mutations from ${principal.name}; try again in ${outcome.retryAfterSeconds} s`, {
            extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: new Map([['retry-after', String(outcome.retryAfterSeconds)]]) } },
          });
        },
      };
    },
  };
}
