import { optionalInteger, rejectUnstorable, requireInteger, requireNumber, requireText } from '../common/validation.js';
import type { SubmitRequestInput } from './dto/request.types.js';
import { validRequirements } from './requirements.js';
import { RequestsError, RequestsErrorCode } from './requests.errors.js';

export const MAX_INSTANCES_PER_REQUEST = 1000;
export const MAX_LEASE_HOURS = 24 * 366;
const MAX_USER_DATA_BYTES = 16 * 1024; // EC2's limit on user-data before base64
const SSH_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\r\n]*)?$/;

/** A submitted request with defaults filled in. */
export interface NormalizedRequest {
  projectId: string;
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  count: number;
  minCount: number;
  leaseHours: number;
  sites: string[] | null;
  requirements: string[];
  preferredSites: string[];
  spanSites: boolean;
  userData: string | null;
  sshPublicKey: string | null;
  idempotencyKey: string | null;
}

/** Checks the values on their own (names of sites and images are checked against the registry later). */
export function normalizeRequestInput(input: SubmitRequestInput): NormalizedRequest {
  requireText('image', input.image, 128);
  requireInteger('vcpus', input.vcpus, 1, 1024);
  requireInteger('memoryMiB', input.memoryMiB, 1, 64 * 1024 * 1024);
  optionalInteger('gpus', input.gpus, 0, 64);
  optionalInteger('count', input.count, 1, MAX_INSTANCES_PER_REQUEST);
  const count = input.count ?? 1;
  optionalInteger('minCount', input.minCount, 1, count);
  requireNumber('leaseHours', input.leaseHours, { min: 0, max: MAX_LEASE_HOURS, exclusiveMin: true });
  if (input.sites) {
    if (input.sites.length === 0) throw RequestsError.about(RequestsErrorCode.InvalidInput, 'sites', 'must name at least one site, or be left out for any site');
    input.sites.forEach((s, i) => requireText(`sites[${i}]`, s, 63));
  }
  input.preferredSites?.forEach((s, i) => requireText(`preferredSites[${i}]`, s, 63));
  const requirements = validRequirements(input.requirements);
  rejectUnstorable('userData', input.userData);
  rejectUnstorable('sshPublicKey', input.sshPublicKey);
  if (input.userData && Buffer.byteLength(input.userData) > MAX_USER_DATA_BYTES) throw RequestsError.about(RequestsErrorCode.InvalidInput, 'userData', `must be at most ${MAX_USER_DATA_BYTES} bytes`);
  if (input.sshPublicKey && !SSH_KEY.test(input.sshPublicKey.trim())) {
    throw RequestsError.about(RequestsErrorCode.InvalidInput, 'sshPublicKey', 'must be one OpenSSH public key line, e.g. "ssh-ed25519 AAAA... me@laptop"');
  }
  if (input.idempotencyKey !== null && input.idempotencyKey !== undefined) requireText('idempotencyKey', input.idempotencyKey, 200);
  return {
    projectId: input.projectId,
    image: input.image.trim(),
    vcpus: input.vcpus,
    memoryMiB: input.memoryMiB,
    gpus: input.gpus ?? 0,
    count,
    minCount: input.minCount ?? count,
    leaseHours: input.leaseHours,
    sites: input.sites ? [...new Set(input.sites)] : null,
    requirements,
    preferredSites: [...new Set(input.preferredSites ?? [])],
    spanSites: input.spanSites ?? false,
    userData: input.userData ?? null,
    sshPublicKey: input.sshPublicKey?.trim() || null,
    idempotencyKey: input.idempotencyKey ?? null,
  };
}
