import { smallestFittingType } from '../allocator/allocator.js';
import type { InstanceTypeOffer, ProjectState, SiteState } from '../allocator/allocator.types.js';
import { BadInputError } from '../common/errors.js';
import { InvalidRequestError, QuotaExceededError } from './dto/request.types.js';
import type { NormalizedRequest } from './request-input.js';

function invalid(field: string, message: string): InvalidRequestError {
  return Object.assign(new InvalidRequestError(), { code: 'INVALID_REQUEST', message: `${field}: ${message}`, field });
}

function quotaExceeded(limit: string, requested: number, allowed: number, unit: string): QuotaExceededError {
  return Object.assign(new QuotaExceededError(), {
    code: 'QUOTA_EXCEEDED',
    message: `the request needs at least ${requested} ${unit} at once; the project's allocations allow ${allowed} in all`,
    limit,
    requested,
    allowed,
  });
}

/**
 * Can this request ever run, whatever else is running? Names that do not exist are bad input
 * (thrown); a request that no allowed site could ever serve, or that needs more than the
 * project's whole allocation, is an expected outcome (returned).
 */
export function assessRequest(request: NormalizedRequest, sites: SiteState[], project: ProjectState | undefined): InvalidRequestError | QuotaExceededError | undefined {
  const known = new Set(sites.map((s) => s.name));
  const unknown = request.sites?.find((name) => !known.has(name));
  if (unknown !== undefined) throw new BadInputError('sites', `no site is named ${JSON.stringify(unknown)} (known: ${[...known].join(', ') || 'none'})`);
  const images = new Set(sites.flatMap((s) => s.images));
  if (!images.has(request.image)) {
    throw new BadInputError('image', `no site offers an image named ${JSON.stringify(request.image)} (known: ${[...images].sort().join(', ') || 'none'})`);
  }
  const allowed = sites.filter((s) => (request.sites === null || request.sites.includes(s.name)) && s.images.includes(request.image));
  if (allowed.length === 0) return invalid('image', `none of the allowed sites (${request.sites!.join(', ')}) offers image '${request.image}'`);
  const types = allowed.map((s) => smallestFittingType(s.instanceTypes, request)).filter((t): t is InstanceTypeOffer => !!t);
  if (types.length === 0) {
    const field = allowed.some((s) => s.instanceTypes.some((t) => t.vcpus >= request.vcpus)) ? (request.gpus > 0 ? 'gpus' : 'memoryMiB') : 'vcpus';
    return invalid(field, `no site offering '${request.image}' has an instance type with ${request.vcpus} vCPUs, ${request.memoryMiB} MiB and ${request.gpus} GPUs`);
  }
  const cheapest = types.sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB)[0]!;
  const limits = project?.limits ?? { vcpus: 0, memoryMiB: 0, gpus: 0, instances: 0 };
  const n = request.minCount;
  if (cheapest.vcpus * n > limits.vcpus) return quotaExceeded('vcpus', cheapest.vcpus * n, limits.vcpus, 'vCPUs');
  if (cheapest.memoryMiB * n > limits.memoryMiB) return quotaExceeded('memoryMiB', cheapest.memoryMiB * n, limits.memoryMiB, 'MiB of memory');
  if (cheapest.gpus * n > limits.gpus) return quotaExceeded('gpus', cheapest.gpus * n, limits.gpus, 'GPUs');
  if (limits.instances !== null && n > limits.instances) return quotaExceeded('instances', n, limits.instances, 'instances');
  return undefined;
}
