import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { DomainError } from '../common/errors.js';
import type { EmulatedSiteSpec } from '../compute/emulator/index.js';
import type { SiteSpec } from './site-spec.js';
import { validateSiteSpec } from './site-spec.js';

/** A site descriptor file, read and checked but not yet applied. */
export interface SiteDescriptor {
  file: string;
  /** Served by the bundled emulator: the broker fills in endpoint and credentials. */
  emulated: boolean;
  spec: SiteSpec;
  /** For emulated sites and `skypool emulate`: how the emulator behaves (timings, faults, missing features). */
  emulator?: EmulatorSettings;
}

export type EmulatorSettings = Partial<Pick<EmulatedSiteSpec, 'pendingSeconds' | 'shuttingDownSeconds' | 'faults' | 'compatibility' | 'securityGroups' | 'subnets' | 'keyPairs'>>;
const EMULATOR_SETTINGS = ['pendingSeconds', 'shuttingDownSeconds', 'faults', 'compatibility', 'securityGroups', 'subnets', 'keyPairs'];

export class DescriptorError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    problem: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}`);
    this.name = 'DescriptorError';
  }
}

/** `env:NAME` and `file:PATH` keep credentials out of descriptors; anything else is taken as is. */
export function resolveCredential(value: string, field: string, env: NodeJS.ProcessEnv = process.env): string {
  if (value.startsWith('env:')) {
    const resolved = env[value.slice(4)];
    if (resolved === undefined || resolved === '') throw new Error(`${field}: environment variable ${value.slice(4)} is not set`);
    return resolved;
  }
  if (value.startsWith('file:')) {
    try {
      return readFileSync(value.slice(5), 'utf8').trim();
    } catch {
      throw new Error(`${field}: cannot read ${value.slice(5)}`);
    }
  }
  return value;
}

/** `instanceTypes[2].vcpus` -> ['instanceTypes', 2, 'vcpus'] */
function pathOf(field: string): (string | number)[] {
  return field.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

const PLACEHOLDER = 'emulated';

export const DESCRIPTOR_FIELDS = [
  'name', 'institution', 'endpoint', 'region', 'accessKeyId', 'secretAccessKey', 'capacity', 'instanceTypes', 'images',
  'homeShare', 'availabilityZones', 'labels', 'network', 'tagMode', 'emulated', 'emulator',
] as const;

/** YAML may read `version: 2` or `fast: true` as numbers or booleans; labels are text. */
function labelsOf(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]));
}

/** Reads one descriptor; errors name the file, the line and the reason. */
export function readDescriptor(file: string, text: string, env: NodeJS.ProcessEnv = process.env): SiteDescriptor {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    throw new DescriptorError(file, lineCounter.linePos(error.pos[0]).line, error.message.split('\n')[0]!);
  }
  if (!isMap(doc.contents)) throw new DescriptorError(file, 1, 'a site descriptor is a YAML mapping (name: ..., institution: ...)');
  const lineOf = (field: string): number | undefined => {
    const path = pathOf(field);
    while (path.length > 0) {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lineCounter.linePos(node.range[0]).line;
      path.pop();
    }
    return undefined;
  };
  const raw = doc.toJS() as Record<string, unknown>;
  const emulated = raw.emulated === true;
  const known = new Set<string>(DESCRIPTOR_FIELDS);
  for (const key of Object.keys(raw)) if (!known.has(key)) throw new DescriptorError(file, lineOf(key), `unknown field ${JSON.stringify(key)}`);
  for (const list of ['instanceTypes', 'images', 'availabilityZones']) {
    if (raw[list] !== undefined && !isSeq(doc.get(list))) throw new DescriptorError(file, lineOf(list), `${list}: must be a list`);
  }
  for (const mapping of ['capacity', 'labels', 'network', 'emulator']) {
    if (raw[mapping] !== undefined && !isMap(doc.get(mapping))) throw new DescriptorError(file, lineOf(mapping), `${mapping}: must be a mapping (key: value)`);
  }
  const emulator = (raw.emulator ?? undefined) as Record<string, unknown> | undefined;
  for (const key of Object.keys(emulator ?? {})) {
    if (!EMULATOR_SETTINGS.includes(key)) throw new DescriptorError(file, lineOf(`emulator.${key}`), `emulator: unknown setting ${JSON.stringify(key)} (known: ${EMULATOR_SETTINGS.join(', ')})`);
  }
  const text_ = (field: string): string => {
    const value = raw[field];
    if (value === undefined && emulated && ['endpoint', 'accessKeyId', 'secretAccessKey'].includes(field)) return PLACEHOLDER;
    if (typeof value !== 'string') throw new DescriptorError(file, lineOf(field), `${field}: required, a string`);
    return value;
  };
  try {
    const spec: SiteSpec = {
      name: text_('name'),
      institution: text_('institution'),
      endpoint: emulated ? 'http://127.0.0.1/emulator' : text_('endpoint'),
      region: text_('region'),
      accessKeyId: emulated ? PLACEHOLDER : resolveCredential(text_('accessKeyId'), 'accessKeyId', env),
      secretAccessKey: emulated ? PLACEHOLDER : resolveCredential(text_('secretAccessKey'), 'secretAccessKey', env),
      capacity: (raw.capacity ?? {}) as SiteSpec['capacity'],
      instanceTypes: (raw.instanceTypes ?? []) as SiteSpec['instanceTypes'],
      images: ((raw.images ?? []) as SiteSpec['images']).map((m) => ({ image: String(m.image ?? ''), imageId: String(m.imageId ?? '') })),
      homeShare: raw.homeShare as number | undefined,
      availabilityZones: raw.availabilityZones as string[] | undefined,
      labels: labelsOf(raw.labels),
      network: raw.network as SiteSpec['network'],
      tagMode: raw.tagMode as SiteSpec['tagMode'],
    };
    validateSiteSpec(spec);
    return { file, emulated, spec, emulator: emulator as EmulatorSettings | undefined };
  } catch (err) {
    if (err instanceof DescriptorError) throw err;
    const field = err instanceof DomainError ? err.field : /^([\w.[\]]+):/.exec((err as Error).message)?.[1];
    throw new DescriptorError(file, field ? lineOf(field) : undefined, (err as Error).message);
  }
}

/** Reads every `*.yaml` / `*.yml` in a folder; one bad file fails the whole folder. */
export function readDescriptorFolder(dir: string, env: NodeJS.ProcessEnv = process.env): SiteDescriptor[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new DescriptorError(dir, undefined, 'cannot read the site descriptor folder');
  }
  const descriptors = names.map((n) => readDescriptor(join(dir, n), readFileSync(join(dir, n), 'utf8'), env));
  const seen = new Map<string, string>();
  for (const d of descriptors) {
    const other = seen.get(d.spec.name);
    if (other) throw new DescriptorError(d.file, undefined, `name: ${d.spec.name} is also defined in ${other}`);
    seen.set(d.spec.name, d.file);
  }
  return descriptors;
}

/** What the bundled emulator needs to serve a descriptor's site (with the spec's credentials). */
export function emulatorSiteOf(spec: SiteSpec, descriptor: SiteDescriptor): EmulatedSiteSpec {
  return {
    name: spec.name,
    region: spec.region,
    accessKeyId: spec.accessKeyId,
    secretAccessKey: spec.secretAccessKey,
    availabilityZones: spec.availabilityZones ?? undefined,
    instanceTypes: spec.instanceTypes.map((t) => ({ name: t.name, vcpus: t.vcpus, memoryMiB: t.memoryMiB, gpus: t.gpus ?? 0 })),
    images: spec.images.map((m) => ({ imageId: m.imageId, name: m.image })),
    capacity: { vcpus: spec.capacity.vcpus, memoryMiB: spec.capacity.memoryMiB, gpus: spec.capacity.gpus ?? 0, instances: spec.capacity.instances ?? undefined },
    ...descriptor.emulator,
  };
}
