import type { EntityManager } from 'typeorm';

/** Any 64-bit number, the same in every broker process: the key of the allocator cycle's advisory lock. */
const ALLOCATOR_LOCK_KEY = 0x5379706f6f6c01n;

/**
 * Takes the allocator's lock for the rest of the transaction if no cycle holds it; false otherwise.
 * Always granted on the embedded database (one shared session), where transactions run one at a time anyway.
 */
export async function tryAllocatorLock(manager: EntityManager): Promise<boolean> {
  const [{ locked }] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [ALLOCATOR_LOCK_KEY.toString()]);
  return locked as boolean;
}

/** Waits for a running cycle to end and keeps new ones out until the transaction ends (e.g. while a site is removed). */
export async function holdAllocatorLock(manager: EntityManager): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [ALLOCATOR_LOCK_KEY.toString()]);
}
