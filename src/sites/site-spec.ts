import { BadInputError } from '../common/errors.js';
import { optionalInteger, optionalNumber, requireInteger, requireName, requirePattern, requireText, requireUrl } from '../common/validation.js';
import { NO_NETWORK_SETTINGS } from '../compute/compute-driver.js';
// types only: the entity's module loads TypeORM, which the CLI reading descriptors has no use for
import type { ImageMappingSpec, InstanceTypeSpec, NetworkSettings, TagMode } from './entities/site.entity.js';

/** Everything that defines a site, as registerSite and the YAML descriptors give it. */
export interface SiteSpec {
  name: string;
  institution: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  capacity: { vcpus: number; memoryMiB: number; gpus?: number | null; instances?: number | null };
  instanceTypes: { name: string; vcpus: number; memoryMiB: number; gpus?: number | null }[];
  images: ImageMappingSpec[];
  homeShare?: number | null;
  /** Lend the unused home share to other institutions (default false). */
  lendsHomeShare?: boolean | null;
  availabilityZones?: string[] | null;
  labels?: Record<string, string> | null;
  /** Replaced as a whole by an update. */
  network?: NetworkSpec | null;
  tagMode?: TagMode | null;
}

export interface NetworkSpec {
  securityGroupIds?: string[] | null;
  subnetId?: string | null;
  keyName?: string | null;
  associatePublicIp?: boolean | null;
}

export const TAG_MODES: TagMode[] = ['ON_CREATE', 'AFTER_CREATE'];
const ZONE = /^[A-Za-z0-9-_.]{1,64}$/;
const LABEL_KEY = /^[a-z0-9][a-z0-9._/-]{0,62}$/;
const MAX_LABELS = 50;

export const SITE_NAME = /^[a-z0-9-]{2,63}$/;

function requireUnique(field: string, names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new BadInputError(field, `lists ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
}

/** Checks a site spec; every error names the field (e.g. `instanceTypes[2].vcpus`). */
export function validateSiteSpec(spec: SiteSpec): void {
  if (typeof spec.capacity !== 'object' || spec.capacity === null) throw new BadInputError('capacity', 'is required: vcpus, memoryMiB, gpus, instances');
  requirePattern('name', spec.name, SITE_NAME, '2 to 63 lower-case letters, digits or dashes');
  requireName('institution', spec.institution);
  requireUrl('endpoint', spec.endpoint);
  requirePattern('region', spec.region, /^[A-Za-z0-9-_.]{1,64}$/, 'a region name such as RegionOne or us-east-1');
  requireText('accessKeyId', spec.accessKeyId, 256);
  requireText('secretAccessKey', spec.secretAccessKey, 1024);
  requireInteger('capacity.vcpus', spec.capacity.vcpus, 1);
  requireInteger('capacity.memoryMiB', spec.capacity.memoryMiB, 1);
  optionalInteger('capacity.gpus', spec.capacity.gpus, 0);
  optionalInteger('capacity.instances', spec.capacity.instances, 1);
  optionalNumber('homeShare', spec.homeShare, { min: 0, max: 1 });
  if (spec.lendsHomeShare != null && typeof spec.lendsHomeShare !== 'boolean') throw new BadInputError('lendsHomeShare', 'must be true or false');
  if (spec.instanceTypes.length === 0) throw new BadInputError('instanceTypes', 'must list at least one instance type');
  spec.instanceTypes.forEach((t, i) => {
    requireText(`instanceTypes[${i}].name`, t.name, 64);
    requireInteger(`instanceTypes[${i}].vcpus`, t.vcpus, 1);
    requireInteger(`instanceTypes[${i}].memoryMiB`, t.memoryMiB, 1);
    optionalInteger(`instanceTypes[${i}].gpus`, t.gpus, 0);
  });
  requireUnique('instanceTypes', spec.instanceTypes.map((t) => t.name));
  if (spec.images.length === 0) throw new BadInputError('images', 'must map at least one image');
  spec.images.forEach((m, i) => {
    requireText(`images[${i}].image`, m.image, 128);
    requireText(`images[${i}].imageId`, m.imageId, 128);
  });
  requireUnique('images', spec.images.map((m) => m.image));
  (spec.availabilityZones ?? []).forEach((zone, i) => requirePattern(`availabilityZones[${i}]`, zone, ZONE, 'a zone name such as nova or us-east-1a'));
  requireUnique('availabilityZones', spec.availabilityZones ?? []);
  validateLabels(spec.labels ?? {});
  validateNetwork(spec.network ?? {});
  if (spec.tagMode != null && !TAG_MODES.includes(spec.tagMode)) throw new BadInputError('tagMode', `must be one of ${TAG_MODES.join(', ')}`);
}

function validateLabels(labels: Record<string, string>): void {
  if (typeof labels !== 'object' || Array.isArray(labels)) throw new BadInputError('labels', 'must map label names to values, e.g. gpu: a100');
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw new BadInputError('labels', `at most ${MAX_LABELS} labels`);
  for (const [key, value] of entries) {
    requirePattern('labels', key, LABEL_KEY, 'a label name of lower-case letters, digits, dots, dashes or slashes');
    if (typeof value !== 'string') throw new BadInputError(`labels.${key}`, 'must be a string');
    requireText(`labels.${key}`, value, 128);
  }
}

function validateNetwork(network: NetworkSpec): void {
  (network.securityGroupIds ?? []).forEach((id, i) => requireText(`network.securityGroupIds[${i}]`, id, 128));
  if (network.subnetId != null) requireText('network.subnetId', network.subnetId, 128);
  if (network.keyName != null) requireText('network.keyName', network.keyName, 255);
  if (network.associatePublicIp != null && typeof network.associatePublicIp !== 'boolean') {
    throw new BadInputError('network.associatePublicIp', 'must be true or false');
  }
  // EC2 takes AssociatePublicIpAddress only on a network interface, which needs the subnet.
  if (network.associatePublicIp != null && network.subnetId == null) {
    throw new BadInputError('network.associatePublicIp', 'needs network.subnetId: EC2 sets it on the network interface in that subnet');
  }
}

export function networkOf(spec: SiteSpec): NetworkSettings {
  const n = spec.network ?? {};
  return {
    securityGroupIds: [...(n.securityGroupIds ?? NO_NETWORK_SETTINGS.securityGroupIds)],
    subnetId: n.subnetId ?? null,
    keyName: n.keyName ?? null,
    associatePublicIp: n.associatePublicIp ?? null,
  };
}

export function instanceTypesOf(spec: SiteSpec): InstanceTypeSpec[] {
  return spec.instanceTypes.map((t) => ({ name: t.name, vcpus: t.vcpus, memoryMiB: t.memoryMiB, gpus: t.gpus ?? 0 }));
}
