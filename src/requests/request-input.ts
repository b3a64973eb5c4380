import { optionalInteger, rejectUnstorable, requireInteger, requireNumber, requireText } from '../common/validation.js';
import type { SubmitRequestInput, TagInput } from './dto/request.types.js';
import { validRequirements } from './requirements.js';
import { RequestsError, RequestsErrorCode } from './requests.errors.js';

export const MAX_INSTANCES_PER_REQUEST = 1000;
export const MAX_LEASE_HOURS = 24 * 366;
const MAX_USER_DATA_BYTES = 16 * 1024; // EC2's limit on user-data before base64
export const MAX_TAGS = 10;
/** EC2's rules for tags (counted in characters, not bytes), so every site takes them as they are. */
const TAG_KEY = /^[\p{L}\p{Nd} _.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^\P{Cc}{0,256}$/u;
/** Skypool's own tags at the sites (compute/site-tags.ts) and AWS's. */
const RESERVED_TAG_PREFIXES = ['skypool:', 'aws:'];
export const MAX_NOTE_LENGTH = 1000;
/** A control character other than tab: a note is one line of a history. */
const NOTE_CONTROL = /(?!\t)\p{Cc}/u;
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
  tags: Record<string, string>;
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
  const tags = validTags(input.tags);
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
    tags,
  };
}

/**
 * A request's tags as a map, checked against EC2's rules and ours; errors name the item
 * (`tags[2].key`). The same rules check a listing's `tags` filter: a tag no request can carry is
 * refused rather than matching nothing.
 */
export function validTags(tags: TagInput[] | null | undefined): Record<string, string> {
  if (!tags) return {};
  const invalid = (at: string, problem: string) => RequestsError.about(RequestsErrorCode.InvalidInput, at, problem);
  if (tags.length > MAX_TAGS) throw invalid('tags', `at most ${MAX_TAGS} tags, got ${tags.length}`);
  const valid = new Map<string, string>();
  tags.forEach(({ key, value }, i) => {
    if (!TAG_KEY.test(key)) throw invalid(`tags[${i}].key`, `must be 1 to 128 letters, digits, spaces or _.:/=+-@, got ${JSON.stringify(key.slice(0, 130))}`);
    const reserved = RESERVED_TAG_PREFIXES.find((prefix) => key.toLowerCase().startsWith(prefix));
    if (reserved) throw invalid(`tags[${i}].key`, `keys starting with ${reserved} are reserved, got ${JSON.stringify(key)}`);
    if (valid.has(key)) throw invalid(`tags[${i}].key`, `${JSON.stringify(key)} is given twice`);
    rejectUnstorable(`tags[${i}].value`, value);
    if (!TAG_VALUE.test(value)) throw invalid(`tags[${i}].value`, `the value of ${JSON.stringify(key)} must be at most 256 characters, without control characters`);
    valid.set(key, value);
  });
  // fromEntries defines own properties: a key such as __proto__ stays a tag
  return Object.fromEntries(valid);
}

/** A note for a request's history (addRequestNote): one line of 1 to MAX_NOTE_LENGTH characters. */
export function validNote(note: string): string {
  const invalid = (problem: string) => RequestsError.about(RequestsErrorCode.InvalidInput, 'note', problem);
  if (note.trim() === '') throw invalid('must not be empty');
  rejectUnstorable('note', note);
  if (note.length > MAX_NOTE_LENGTH) throw invalid(`must be at most ${MAX_NOTE_LENGTH} characters, got ${note.length}`);
  if (NOTE_CONTROL.test(note)) throw invalid('must be one line: no control characters but tab');
  return note;
}
