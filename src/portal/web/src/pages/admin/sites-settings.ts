/**
 * A site's settings as the sites page writes and reads them in text fields (one instance type or
 * image per line, labels as key=value), and in words for the descriptor's dry-run diff. Pure: no
 * React, so the unit specs run it as is.
 */
import type { ImageMappingInput, InstanceTypeInput, SiteLabelInput } from '../../api/generated';
import { formatMemory, parseMemory } from '../../format';

export type Parsed<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

/** Memory that reads back exactly: whole GiB as GiB, anything else in MiB (formatMemory rounds). */
export function exactMemory(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));

/** `m1.medium 2 4 GiB` or `g1.large 8 32768 1`: name, vCPUs, memory (MiB unless a unit is given), GPUs (optional). */
export function parseInstanceTypes(text: string): Parsed<InstanceTypeInput[]> {
  const types: InstanceTypeInput[] = [];
  for (const { line, n } of lines(text)) {
    const match = /^(\S+)\s+(\d+)\s+(\d+(?:\.\d+)?(?:\s*[A-Za-z]+)?)(?:\s+(\d+))?$/.exec(line);
    const memoryMiB = match ? parseMemory(match[3]!) : undefined;
    if (!match || memoryMiB === undefined) return { error: `line ${n}: expected a name, vCPUs, memory and optionally GPUs, e.g. m1.medium 2 4 GiB` };
    types.push({ name: match[1]!, vcpus: Number(match[2]), memoryMiB, gpus: match[4] === undefined ? 0 : Number(match[4]) });
  }
  return { value: types };
}

export function formatInstanceTypes(types: readonly InstanceTypeInput[]): string {
  return types.map((t) => `${t.name} ${t.vcpus} ${exactMemory(t.memoryMiB)}${t.gpus ? ` ${t.gpus}` : ''}`).join('\n');
}

/** `ubuntu-22.04 ami-00000042`: the logical name requests use, then the site's own image id. */
export function parseImages(text: string): Parsed<ImageMappingInput[]> {
  const images: ImageMappingInput[] = [];
  for (const { line, n } of lines(text)) {
    const match = /^(\S+)\s+(\S+)$/.exec(line);
    if (!match) return { error: `line ${n}: expected the image's name and the site's image id, e.g. ubuntu-22.04 ami-00000042` };
    images.push({ image: match[1]!, imageId: match[2]! });
  }
  return { value: images };
}

export function formatImages(images: readonly ImageMappingInput[]): string {
  return images.map((m) => `${m.image} ${m.imageId}`).join('\n');
}

/** `gpu=a100`, one a line. */
export function parseLabels(text: string): Parsed<SiteLabelInput[]> {
  const labels: SiteLabelInput[] = [];
  for (const { line, n } of lines(text)) {
    const match = /^([^=\s]+)\s*=\s*(.+)$/.exec(line);
    if (!match) return { error: `line ${n}: expected key=value, e.g. gpu=a100` };
    labels.push({ key: match[1]!, value: match[2]!.trim() });
  }
  return { value: labels };
}

export function formatLabels(labels: readonly SiteLabelInput[]): string {
  return labels.map((l) => `${l.key}=${l.value}`).join('\n');
}

/** Names separated by commas or spaces (zones, security groups). */
export function parseList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** A share of capacity: 0.25, or 25 %. */
export function parseShare(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(text);
  if (!match) return undefined;
  const share = match[2] ? Number(match[1]) / 100 : Number(match[1]);
  return share >= 0 && share <= 1 ? share : undefined;
}

export function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(6))} %`;
}

/** A capacity in words: 256 vCPUs, 1 TiB, 0 GPUs, at most 100 instances. */
export function describeCapacity(c: { vcpus: number; memoryMiB: number; gpus?: number | null; instances?: number | null }): string {
  return `${c.vcpus} vCPUs, ${formatMemory(c.memoryMiB)}, ${c.gpus ?? 0} GPUs, ${c.instances == null ? 'any number of instances' : `at most ${c.instances} instances`}`;
}

/** What a site would be or is, as far as the diff shows it (the API never returns credentials). */
export interface SiteSettings {
  institution?: string;
  endpoint?: string;
  region?: string;
  emulated?: boolean;
  capacity?: { vcpus: number; memoryMiB: number; gpus?: number | null; instances?: number | null };
  instanceTypes?: readonly InstanceTypeInput[];
  images?: readonly ImageMappingInput[];
  homeShare?: number | null;
  lendsHomeShare?: boolean | null;
  availabilityZones?: readonly string[] | null;
  labels?: readonly SiteLabelInput[] | null;
  network?: { securityGroupIds?: readonly string[] | null; subnetId?: string | null; keyName?: string | null; associatePublicIp?: boolean | null } | null;
  tagMode?: string | null;
}

/** One setting in words, for the diff; `undefined` for what the API does not show (credentials). */
export function describeSetting(field: string, site: SiteSettings): string | undefined {
  switch (field) {
    case 'institution':
      return site.institution;
    case 'endpoint':
      return site.endpoint;
    case 'region':
      return site.region;
    case 'emulated':
      return site.emulated ? 'served by the bundled emulator' : 'a cloud at its endpoint';
    case 'capacity':
      return site.capacity && describeCapacity(site.capacity);
    case 'instanceTypes':
      return site.instanceTypes?.map((t) => `${t.name} (${t.vcpus} vCPUs, ${formatMemory(t.memoryMiB)}${t.gpus ? `, ${t.gpus} GPU${t.gpus === 1 ? '' : 's'}` : ''})`).join('; ');
    case 'images':
      return site.images?.map((m) => `${m.image} → ${m.imageId}`).join('; ');
    case 'homeShare':
      return formatShare(site.homeShare ?? 0);
    case 'lendsHomeShare':
      return site.lendsHomeShare ? 'lends its unused home share' : 'keeps its home share';
    case 'availabilityZones':
      return site.availabilityZones?.length ? site.availabilityZones.join(', ') : 'none named';
    case 'labels':
      return site.labels?.length ? formatLabels(site.labels).replaceAll('\n', ', ') : 'none';
    case 'network': {
      const n = site.network ?? {};
      const parts = [
        n.securityGroupIds?.length ? `security groups ${n.securityGroupIds.join(', ')}` : '',
        n.subnetId ? `subnet ${n.subnetId}` : '',
        n.keyName ? `key ${n.keyName}` : '',
        n.associatePublicIp == null ? '' : n.associatePublicIp ? 'public address' : 'no public address',
      ].filter(Boolean);
      return parts.length ? parts.join(', ') : 'the site defaults';
    }
    case 'tagMode':
      return site.tagMode ?? 'ON_CREATE';
    default:
      return undefined;
  }
}
