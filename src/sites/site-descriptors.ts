import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { DomainError } from '../common/errors.js';
import { credentialSettings, isSkypoolSetting } from '../config/config.js';
import { typeCapacityProblem, type EmulatedCompatibility, type EmulatedFaults, type EmulatedSiteSpec } from '../compute/emulator/index.js';
import type { ImageMappingSpec } from './entities/site.entity.js';
import type { NetworkSpec, SiteSpec } from './site-spec.js';
import { validateSiteSpec } from './site-spec.js';
import { SitesError, SitesErrorCode } from './sites.errors.js';

/** A site descriptor file, read and checked but not yet applied. */
export interface SiteDescriptor {
  file: string;
  /** Served by the bundled emulator: the broker fills in endpoint and credentials. */
  emulated: boolean;
  spec: SiteSpec;
  /** For emulated sites and `skypool emulate`: how the emulator behaves (timings, faults, missing features). */
  emulator?: EmulatorSettings;
  /** The line of a setting (e.g. `capacity.vcpus`) in the file, so that errors found later can point at it. */
  lineOf?: (field: string) => number;
  /** The `env:`/`file:` references the credentials were read from: what the audit log keeps instead of the values. */
  references?: CredentialReferences;
}

export interface CredentialReferences {
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * Where `env:` and `file:` credential references may read from, as the operator decided: a
 * descriptor is written by a site admin, and must not be able to send the broker's own secrets
 * (or any file of the machine) to an endpoint of its choosing.
 */
export interface CredentialSources {
  env: NodeJS.ProcessEnv;
  /** `env:NAME` only for names starting with this (SKYPOOL_SITE_ENV_PREFIX). */
  envPrefix: string;
  /** `file:PATH` only inside this folder (SKYPOOL_CREDENTIALS_DIR); unset: no `file:` references. */
  credentialsDir?: string;
}

/** The sources an environment allows: its variables, with its SKYPOOL_SITE_ENV_PREFIX and SKYPOOL_CREDENTIALS_DIR. */
export function credentialSourcesFrom(env: NodeJS.ProcessEnv): CredentialSources {
  const settings = credentialSettings(env);
  return { env, envPrefix: settings.SKYPOOL_SITE_ENV_PREFIX, credentialsDir: settings.SKYPOOL_CREDENTIALS_DIR };
}

export type EmulatorSettings = Partial<
  Pick<EmulatedSiteSpec, 'pendingSeconds' | 'shuttingDownSeconds' | 'faults' | 'compatibility' | 'securityGroups' | 'subnets' | 'keyPairs' | 'typeCapacity' | 'maxPageSize'>
>;

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

const isReference = (value: string): boolean => value.startsWith('env:') || value.startsWith('file:');

/**
 * `env:NAME` and `file:PATH` keep credentials out of descriptors; anything else is taken as is.
 * A reference reads only what the sources allow; errors name the reference, never a value.
 */
export function resolveCredential(value: string, field: string, sources: CredentialSources): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    if (isSkypoolSetting(name)) throw new Error(`${field}: env:${name} is one of Skypool's own settings, never read as a site credential`);
    if (!name.startsWith(sources.envPrefix)) {
      throw new Error(
        `${field}: env:${name} is refused: site credentials are read only from environment variables whose names start with ${sources.envPrefix} (SKYPOOL_SITE_ENV_PREFIX)`,
      );
    }
    const resolved = sources.env[name];
    if (resolved === undefined || resolved === '') throw new Error(`${field}: environment variable ${name} is not set`);
    return resolved;
  }
  if (value.startsWith('file:')) return readCredentialFile(value.slice(5), field, sources.credentialsDir);
  return value;
}

/** A file inside the credentials folder, once `..` and symbolic links are resolved; a relative path is taken from the folder. */
function readCredentialFile(path: string, field: string, credentialsDir: string | undefined): string {
  if (!credentialsDir) throw new Error(`${field}: file: references are refused until SKYPOOL_CREDENTIALS_DIR names the folder that holds site credentials`);
  const wanted = resolve(credentialsDir, path);
  let dir: string;
  let file: string;
  try {
    dir = realpathSync(credentialsDir);
    file = realpathSync(wanted);
  } catch {
    throw new Error(`${field}: cannot read ${wanted}`);
  }
  const inside = relative(dir, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) throw new Error(`${field}: file:${path} is outside SKYPOOL_CREDENTIALS_DIR (${credentialsDir})`);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`${field}: cannot read ${wanted}`);
  }
}

const PLACEHOLDER = 'emulated';

/**
 * What a descriptor may hold, level by level: a mapping's known settings, a list's items, a
 * mapping of free names (labels, instance types) to values, or a single value (`text`: not empty).
 */
type Shape = { keys: Record<string, Shape> } | { items: Shape } | { values: Shape } | 'value' | 'text';
// Typed by the settings they check, so a new setting cannot be forgotten here (nor a stale one kept).
const keys = <T>(shape: Record<keyof T, Shape>): Shape => ({ keys: shape });
const listOf = (items: Shape): Shape => ({ items });
const V = 'value';

const DESCRIPTOR_SHAPE = keys<SiteSpec & Pick<SiteDescriptor, 'emulated' | 'emulator'>>({
  name: V, institution: V, endpoint: V, region: V, accessKeyId: V, secretAccessKey: V,
  capacity: keys<SiteSpec['capacity']>({ vcpus: V, memoryMiB: V, gpus: V, instances: V }),
  instanceTypes: listOf(keys<SiteSpec['instanceTypes'][number]>({ name: V, vcpus: V, memoryMiB: V, gpus: V })),
  images: listOf(keys<ImageMappingSpec>({ image: V, imageId: V })),
  homeShare: V,
  lendsHomeShare: V,
  availabilityZones: listOf('text'),
  labels: { values: 'text' },
  network: keys<NetworkSpec>({ securityGroupIds: listOf('text'), subnetId: V, keyName: V, associatePublicIp: V }),
  tagMode: V,
  emulated: V,
  emulator: keys<EmulatorSettings>({
    pendingSeconds: V,
    shuttingDownSeconds: V,
    maxPageSize: V,
    faults: keys<EmulatedFaults>({
      actions: listOf('text'), latencyMs: V, latencyJitterMs: V, errorRate: V, errorCode: V,
      failNext: keys<NonNullable<EmulatedFaults['failNext']>>({ count: V, code: V }),
      unavailableBurst: V, dropReplyAfterCreate: V, stuckPending: V, malformedRunReply: V, down: V,
    }),
    compatibility: keys<EmulatedCompatibility>({ tagSpecifications: V, clientToken: V, describeInstanceTypes: V }),
    securityGroups: listOf('text'),
    subnets: listOf('text'),
    keyPairs: listOf('text'),
    typeCapacity: { values: V },
  }),
});

/**
 * Checks the document against the shape, at every level, and records the line of every setting
 * by its path (`capacity.vcpus`, `instanceTypes[1]`); the first problem is thrown with its line.
 */
function checkShape(doc: Document, lineCounter: LineCounter, fail: (line: number, problem: string) => never): Map<string, number> {
  const lines = new Map<string, number>();
  const lineAt = (node: unknown, otherwise: number): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : otherwise;
  };
  const check = (found: unknown, shape: Shape, path: string, line: number): void => {
    const node = isAlias(found) ? found.resolve(doc) : found;
    if (shape === 'value' || shape === 'text') {
      if (isMap(node) || isSeq(node)) fail(line, `${path}: must be a single value, not a ${isMap(node) ? 'mapping' : 'list'}`);
      if (shape === 'text' && (!isScalar(node) || node.value === null)) fail(line, `${path}: must not be empty`);
      return;
    }
    if ('items' in shape) {
      if (!isSeq(node)) fail(line, `${path}: must be a list`);
      node.items.forEach((item, i) => {
        const at = lineAt(item, line);
        lines.set(`${path}[${i}]`, at);
        check(item, shape.items, `${path}[${i}]`, at);
      });
      return;
    }
    if (!isMap(node)) fail(line, `${path}: must be a mapping (key: value)`);
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const keyPath = path ? `${path}.${key}` : key;
      const at = lineAt(pair.key, line);
      lines.set(keyPath, at);
      if ('keys' in shape && !Object.hasOwn(shape.keys, key)) fail(at, `${keyPath}: unknown setting (known: ${Object.keys(shape.keys).join(', ')})`);
      check(pair.value, 'keys' in shape ? shape.keys[key]! : shape.values, keyPath, at);
    }
  };
  check(doc.contents, DESCRIPTOR_SHAPE, '', lineAt(doc.contents, 1));
  return lines;
}

/** YAML may read `version: 2` or `fast: true` as numbers or booleans; labels are text. */
function labelsOf(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)]));
}

/** A descriptor is a few hundred bytes: a larger file is a mistake (or an attack), not read into memory. */
const MAX_DESCRIPTOR_BYTES = 1024 * 1024;

function tooLarge(file: string, bytes: number): DescriptorError {
  return new DescriptorError(file, undefined, `the file is larger than 1 MB (${bytes} bytes); a site descriptor is a few hundred bytes`);
}

/** Reads one descriptor; errors name the file, the line and the reason. */
export function readDescriptor(file: string, text: string, sources: CredentialSources): SiteDescriptor {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_DESCRIPTOR_BYTES) throw tooLarge(file, bytes);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    throw new DescriptorError(file, lineCounter.linePos(error.pos[0]).line, error.message.split('\n')[0]!);
  }
  if (!isMap(doc.contents)) throw new DescriptorError(file, 1, 'a site descriptor is a YAML mapping (name: ..., institution: ...)');
  const lines = checkShape(doc, lineCounter, (line, problem) => {
    throw new DescriptorError(file, line, problem);
  });
  const firstLine = lineCounter.linePos(doc.contents.range?.[0] ?? 0).line;
  /** The setting's line, or its block's; a setting that is missing altogether: the document's first line. */
  const lineOf = (field: string): number => {
    let path = field;
    while (path && !lines.has(path)) {
      const parent = path.replace(/(?:\.[^.[\]]*|\[\d+\])$/, '');
      path = parent === path ? '' : parent;
    }
    return lines.get(path) ?? firstLine;
  };
  const raw = doc.toJS() as Record<string, unknown>;
  const emulated = raw.emulated === true;
  const emulator = (raw.emulator ?? undefined) as EmulatorSettings | undefined;
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
      accessKeyId: emulated ? PLACEHOLDER : resolveCredential(text_('accessKeyId'), 'accessKeyId', sources),
      secretAccessKey: emulated ? PLACEHOLDER : resolveCredential(text_('secretAccessKey'), 'secretAccessKey', sources),
      capacity: raw.capacity as SiteSpec['capacity'],
      instanceTypes: (raw.instanceTypes ?? []) as SiteSpec['instanceTypes'],
      images: ((raw.images ?? []) as SiteSpec['images']).map((m) => ({ image: String(m.image ?? ''), imageId: String(m.imageId ?? '') })),
      homeShare: raw.homeShare as number | undefined,
      lendsHomeShare: raw.lendsHomeShare as boolean | undefined,
      availabilityZones: raw.availabilityZones as string[] | undefined,
      labels: labelsOf(raw.labels),
      network: raw.network as SiteSpec['network'],
      tagMode: raw.tagMode as SiteSpec['tagMode'],
    };
    validateSiteSpec(spec);
    const typeCapacity = typeCapacityProblem(emulator?.typeCapacity, spec.instanceTypes.map((t) => t.name));
    if (typeCapacity) throw SitesError.about(SitesErrorCode.InvalidSettings, `emulator.typeCapacity.${typeCapacity.type}`, typeCapacity.problem);
    const references = emulated ? undefined : referencesOf(text_('accessKeyId'), text_('secretAccessKey'));
    return { file, emulated, spec, emulator, lineOf, references };
  } catch (err) {
    if (err instanceof DescriptorError) throw err;
    const field = err instanceof DomainError ? err.field : /^([\w.[\]]+):/.exec((err as Error).message)?.[1];
    throw new DescriptorError(file, lineOf(field ?? ''), (err as Error).message);
  }
}

function referencesOf(accessKeyId: string, secretAccessKey: string): CredentialReferences | undefined {
  const references: CredentialReferences = {};
  if (isReference(accessKeyId)) references.accessKeyId = accessKeyId;
  if (isReference(secretAccessKey)) references.secretAccessKey = secretAccessKey;
  return Object.keys(references).length > 0 ? references : undefined;
}

/** Reads every `*.yaml` / `*.yml` in a folder; one bad file fails the whole folder. */
export function readDescriptorFolder(dir: string, sources: CredentialSources): SiteDescriptor[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new DescriptorError(dir, undefined, 'cannot read the site descriptor folder');
  }
  if (names.length === 0) throw new DescriptorError(dir, undefined, 'no site descriptors (*.yaml or *.yml) in this folder');
  const descriptors = names.map((n) => {
    const file = join(dir, n);
    const { size } = statSync(file);
    if (size > MAX_DESCRIPTOR_BYTES) throw tooLarge(file, size);
    return readDescriptor(file, readFileSync(file, 'utf8'), sources);
  });
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
