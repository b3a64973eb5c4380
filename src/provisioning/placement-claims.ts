import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../common/clock.js';
import type { EntityManager } from 'typeorm';
import type { Db } from '../database/db.js';
import { runPrepared, type PreparedStatement } from '../database/prepared.js';

/** A claim lapses this long after its last renewal, so a crashed process's work is taken over soon. */
export const CLAIM_MS = 15_000;
const RENEW_MS = CLAIM_MS / 3;

/** This process's pid namespace (Linux), so that pids are compared only where they mean the same process. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/\D/g, '') || '-';
  } catch {
    return '-';
  }
}

/**
 * Whether `owner` (a `claimed_by`) is a process of this machine and pid namespace that no longer
 * runs, e.g. this broker before it was killed and restarted: its claims need not wait to lapse.
 * Anything else (another machine or container, an older format, a pid in use) counts as alive.
 */
export function isDeadHere(owner: string, here = { host: hostname(), pidNamespace: pidNamespace() }): boolean {
  const [host, namespace, pid] = owner.split(':');
  if (host !== here.host || namespace !== here.pidNamespace || here.pidNamespace === '-' || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** One placement: the instances of one request's attempt at one site, started by one RunInstances. */
export interface Placement {
  requestId: string;
  attempt: number;
  siteId: string;
  /** Transient failures so far. */
  tries: number;
  /** Another process claimed it before (and may have sent RunInstances before it stopped). */
  resumed: boolean;
}

const keyOf = (p: Pick<Placement, 'requestId' | 'attempt' | 'siteId'>) => `${p.requestId}/${p.attempt}/${p.siteId}`;

/** The claims of placements ($1 requests, $2 attempts, $3 sites) that $4 holds, handed back. */
const RELEASE_PLACEMENTS: PreparedStatement = {
  name: 'release_placements',
  text: `UPDATE instance i SET claimed_by = NULL, claimed_until = NULL
           FROM unnest($1::uuid[], $2::int[], $3::uuid[]) AS p(request_id, attempt, site_id)
          WHERE i.request_id = p.request_id AND i.attempt = p.attempt AND i.site_id = p.site_id AND i.claimed_by = $4`,
};

/**
 * Who works on which placement, so two broker processes never start the same placement twice:
 * a claim is taken in a short transaction with the request rows locked (FOR UPDATE SKIP LOCKED),
 * then renewed while the site is called, never holding a transaction open across the call.
 */
export class PlacementClaims {
  /** This process, as it appears in `claimed_by`: host, pid namespace, pid (see isDeadHere) and a random part. */
  readonly owner = `${hostname()}:${pidNamespace()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly held = new Map<string, Placement>();
  private renewal?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Claims the placements due now (not claimed by a live process, not waiting out a backoff). */
  async claimDue(limit = 200): Promise<Placement[]> {
    const now = this.clock.now();
    // a process of this machine that was killed (and is restarted as this one, say) left claims that would keep
    // its placements waiting for CLAIM_MS: they are taken over at once (as resumed: looked for by tag first)
    const claimants: { claimed_by: string }[] = await this.db.manager.query(
      `SELECT DISTINCT claimed_by FROM instance WHERE state = 'REQUESTED' AND claimed_until >= $1 AND claimed_by <> $2`,
      [now, this.owner],
    );
    const dead = claimants.map((c) => c.claimed_by).filter((owner) => isDeadHere(owner));
    const rows: { request_id: string; attempt: number; site_id: string; tries: number; was: string | null }[] = await this.db.transaction((manager) =>
      manager.query(
        `WITH due AS (
           SELECT r.id FROM resource_request r
            WHERE EXISTS (SELECT 1 FROM instance i WHERE i.request_id = r.id AND i.state = 'REQUESTED'
                            AND (i.next_attempt_at IS NULL OR i.next_attempt_at <= $1)
                            AND (i.claimed_until IS NULL OR i.claimed_until < $1 OR i.claimed_by = ANY($5::text[])))
            ORDER BY r.created_at LIMIT $4
            FOR UPDATE OF r SKIP LOCKED),
         old AS (
           SELECT i.id, i.claimed_by AS was FROM instance i JOIN due ON due.id = i.request_id
            WHERE i.state = 'REQUESTED' AND (i.next_attempt_at IS NULL OR i.next_attempt_at <= $1)
              AND (i.claimed_until IS NULL OR i.claimed_until < $1 OR i.claimed_by = ANY($5::text[]))),
         claimed AS (
           UPDATE instance i SET claimed_by = $2, claimed_until = $3 FROM old WHERE i.id = old.id
           RETURNING i.request_id, i.attempt, i.site_id, i.tries, old.was)
         SELECT * FROM claimed`,
        [now, this.owner, new Date(now.getTime() + CLAIM_MS), limit, dead],
      ),
    );
    const placements = new Map<string, Placement>();
    for (const row of rows) {
      const key = keyOf({ requestId: row.request_id, attempt: row.attempt, siteId: row.site_id });
      const found = placements.get(key) ?? { requestId: row.request_id, attempt: row.attempt, siteId: row.site_id, tries: row.tries, resumed: false };
      found.tries = Math.max(found.tries, row.tries);
      found.resumed ||= row.was !== null;
      placements.set(key, found);
    }
    for (const [key, p] of placements) this.held.set(key, p);
    this.keepRenewing();
    return [...placements.values()];
  }

  /** Gives a placement back (done, failed, or to be retried later), unless it was given back with its record (see releaseIn). */
  async release(p: Placement): Promise<void> {
    if (!this.held.delete(keyOf(p))) return;
    await this.db.manager.query(
      `UPDATE instance SET claimed_by = NULL, claimed_until = NULL WHERE request_id = $1 AND attempt = $2 AND site_id = $3 AND claimed_by = $4`,
      [p.requestId, p.attempt, p.siteId, this.owner],
    );
  }

  /** Gives placements back within the transaction that records them: once it commits, release() has nothing left to do for them. */
  async releaseIn(manager: EntityManager, placements: Placement[]): Promise<void> {
    await runPrepared(manager, RELEASE_PLACEMENTS, [placements.map((p) => p.requestId), placements.map((p) => p.attempt), placements.map((p) => p.siteId), this.owner]);
    this.db.afterCommit(manager, () => placements.forEach((p) => this.held.delete(keyOf(p))));
  }

  /** Counts a try of a placement whose outcome is unknown, so that whoever takes it next looks for its instances first. */
  async markTried(p: Placement): Promise<void> {
    await this.db.manager.query(
      `UPDATE instance SET tries = tries + 1 WHERE request_id = $1 AND attempt = $2 AND site_id = $3 AND state = 'REQUESTED' AND claimed_by = $4`,
      [p.requestId, p.attempt, p.siteId, this.owner],
    );
  }

  /** Everything this process still holds, e.g. at shutdown: another process may take it at once. */
  async releaseAll(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    this.held.clear();
    await this.db.manager.query('UPDATE instance SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1', [this.owner]);
  }

  private keepRenewing(): void {
    if (this.renewal) return;
    this.renewal = setInterval(() => {
      if (this.held.size === 0) {
        clearInterval(this.renewal);
        this.renewal = undefined;
        return;
      }
      const until = new Date(this.clock.now().getTime() + CLAIM_MS);
      // a renewal that fails lets the claim lapse: whoever resumes looks for started instances by tag first
      this.db.manager.query('UPDATE instance SET claimed_until = $2 WHERE claimed_by = $1', [this.owner, until]).catch(() => undefined);
    }, RENEW_MS);
    this.renewal.unref();
  }
}
