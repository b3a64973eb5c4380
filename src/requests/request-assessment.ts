import { round2 } from '../allocator/core/rounding.js';
import { missingLabel, smallestFittingType } from '../allocator/core/site-filter.js';
import type { ProjectState, SiteState } from '../allocator/core/allocator.types.js';
import { InvalidRequestError, QuotaExceededError } from './dto/request.types.js';
import type { NormalizedRequest } from './request-input.js';
import { parseRequirement } from './requirements.js';
import { wholeMs } from '../allocator/core/exact-decimal.js';
import { RequestsError, RequestsErrorCode } from './requests.errors.js';

function invalid(field: string, message: string): InvalidRequestError {
  return Object.assign(new InvalidRequestError(), { code: 'INVALID_REQUEST', message: `${field}: ${message}`, field });
}

function quotaExceeded(limit: string, requested: number, allowed: number, unit: string, over = 'at once'): QuotaExceededError {
  return Object.assign(new QuotaExceededError(), {
    code: 'QUOTA_EXCEEDED',
    message: `the request needs at least ${requested} ${unit} ${over}; the project's allocations allow ${allowed} in all`,
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
  if (unknown !== undefined) throw RequestsError.about(RequestsErrorCode.UnknownName, 'sites', `no site is named ${JSON.stringify(unknown)} (known: ${[...known].join(', ') || 'none'})`);
  const images = new Set(sites.flatMap((s) => s.images));
  if (!images.has(request.image)) {
    throw RequestsError.about(RequestsErrorCode.UnknownName, 'image', `no site offers an image named ${JSON.stringify(request.image)} (known: ${[...images].sort().join(', ') || 'none'})`);
  }
  const unknownPreferred = request.preferredSites.find((name) => !known.has(name));
  if (unknownPreferred !== undefined) throw RequestsError.about(RequestsErrorCode.UnknownName, 'preferredSites', `no site is named ${JSON.stringify(unknownPreferred)} (known: ${[...known].join(', ')})`);
  const allowed = sites.filter((s) => (request.sites === null || request.sites.includes(s.name)) && s.images.includes(request.image));
  if (allowed.length === 0) return invalid('image', `none of the allowed sites (${request.sites!.join(', ')}) offers image '${request.image}'`);
  const typed = allowed.filter((s) => smallestFittingType(s.instanceTypes, request));
  if (typed.length === 0) {
    const field = allowed.some((s) => s.instanceTypes.some((t) => t.vcpus >= request.vcpus)) ? (request.gpus > 0 ? 'gpus' : 'memoryMiB') : 'vcpus';
    return invalid(field, `no site offering '${request.image}' has an instance type with ${request.vcpus} vCPUs, ${request.memoryMiB} MiB and ${request.gpus} GPUs`);
  }
  const requirements = request.requirements.map(parseRequirement);
  const labelled = typed.filter((s) => !missingLabel(s.labels, requirements));
  if (labelled.length === 0) return invalid('requirements', `no site offering '${request.image}' with a fitting instance type has the labels ${request.requirements.join(', ')}`);
  const cheapest = labelled
    .map((s) => smallestFittingType(s.instanceTypes, request)!)
    .sort((a, b) => a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.gpus - b.gpus)[0]!;
  const n = request.minCount;
  if (!project) {
    const message = 'the project has no allocation in force (none was granted, or all ended, were revoked or ran out of budget)';
    return Object.assign(quotaExceeded('vcpus', cheapest.vcpus * n, 0, 'vCPUs'), { message });
  }
  const limits = project.limits;
  if (cheapest.vcpus * n > limits.vcpus) return quotaExceeded('vcpus', cheapest.vcpus * n, limits.vcpus, 'vCPUs');
  if (cheapest.memoryMiB * n > limits.memoryMiB) return quotaExceeded('memoryMiB', cheapest.memoryMiB * n, limits.memoryMiB, 'MiB of memory');
  if (cheapest.gpus * n > limits.gpus) return quotaExceeded('gpus', cheapest.gpus * n, limits.gpus, 'GPUs');
  if (limits.instances !== null && n > limits.instances) return quotaExceeded('instances', n, limits.instances, 'instances');
  const coreHours = cheapest.vcpus * n * request.leaseHours;
  if (project.coreHoursLeft !== null && wholeMs(coreHours) > wholeMs(project.coreHoursLeft)) {
    return quotaExceeded('coreHours', round2(coreHours), round2(project.coreHoursLeft), 'core-hours', 'over its lease');
  }
  const gpuHours = cheapest.gpus * n * request.leaseHours;
  if (project.gpuHoursLeft !== null && wholeMs(gpuHours) > wholeMs(project.gpuHoursLeft)) {
    return quotaExceeded('gpuHours', round2(gpuHours), round2(project.gpuHoursLeft), 'GPU-hours', 'over its lease');
  }
  return undefined;
}
