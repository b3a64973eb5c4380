import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Ids in EC2's shapes: `i-` / `r-` and 17 hex digits. */
const hex17 = (): string => randomBytes(9).toString('hex').slice(0, 17);

export const newInstanceId = (): string => `i-${hex17()}`;
export const newReservationId = (): string => `r-${hex17()}`;
export const newRequestId = (): string => randomUUID();

export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const IMAGE_ID = /^ami-[0-9a-zA-Z]+$/;

/** A stable 12-digit account id per site, like the ownerId EC2 reports. */
export function ownerIdFor(siteName: string): string {
  const digest = createHash('sha256').update(`owner:${siteName}`).digest();
  return String(digest.readUInt32BE(0) * 1000 + (digest.readUInt16BE(4) % 1000)).padStart(12, '0').slice(-12);
}

/**
 * A per-site second octet (1 to 239) of the loopback network, so sites hand out different
 * 127.x.y.z private addresses; 240 and above are left to public addresses.
 */
export function siteOctet(siteName: string): number {
  return (createHash('sha256').update(`net:${siteName}`).digest().readUInt8(0) % 239) + 1;
}
