/**
 * Site descriptor files (YAML, as `skypool sites apply` reads them) turned into the applySites
 * input in the browser: every problem names the file, the line and the reason, and the API's
 * refusals (`sites[1].capacity.vcpus`) are pointed back at the file and line they concern.
 *
 * The broker checks every value again; this reads the file's shape and types, so that what is sent
 * is what the file says. Two things the command line does cannot be done here: `env:NAME` and
 * `file:PATH` credentials are read on the machine that applies the file, and emulated sites are
 * set up when the broker starts; both are refused with what to do instead.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { NetworkSettingsInput, SiteDescriptorInput } from '../../api/generated';

/** The API refuses larger files unread; so does the page. */
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
const MAX_INT = 2147483647;

export interface Descriptor {
  file: string;
  input: SiteDescriptorInput;
  /** The line of a setting (`capacity.vcpus`), or of the block it is in, or the document's first. */
  lineOf(field: string): number;
}

export class DescriptorProblem extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    problem: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}`);
    this.name = 'DescriptorProblem';
  }
}

type Shape = { keys: Record<string, Shape> } | { items: Shape } | { values: Shape } | 'value' | 'any';
const V = 'value';
const keys = (shape: Record<string, Shape>): Shape => ({ keys: shape });
const listOf = (items: Shape): Shape => ({ items });

const SHAPE = keys({
  name: V, institution: V, endpoint: V, region: V, accessKeyId: V, secretAccessKey: V,
  capacity: keys({ vcpus: V, memoryMiB: V, gpus: V, instances: V }),
  instanceTypes: listOf(keys({ name: V, vcpus: V, memoryMiB: V, gpus: V })),
  images: listOf(keys({ image: V, imageId: V })),
  homeShare: V,
  lendsHomeShare: V,
  availabilityZones: listOf(V),
  labels: { values: V },
  network: keys({ securityGroupIds: listOf(V), subnetId: V, keyName: V, associatePublicIp: V }),
  tagMode: V,
  emulated: V,
  // refused below with the reason, whatever it holds
  emulator: 'any',
});

/** Checks the document against the shape and records each setting's line by its path (`instanceTypes[1].vcpus`). */
function linesOf(doc: Document, counter: LineCounter, fail: (line: number, problem: string) => never): Map<string, number> {
  const lines = new Map<string, number>();
  const lineAt = (node: unknown, otherwise: number): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? counter.linePos(range[0]).line : otherwise;
  };
  const walk = (found: unknown, shape: Shape, path: string, line: number): void => {
    const node = isAlias(found) ? found.resolve(doc) : found;
    if (shape === 'any') return;
    if (shape === V) {
      if (isMap(node) || isSeq(node)) fail(line, `${path}: must be a single value, not a ${isMap(node) ? 'mapping' : 'list'}`);
      return;
    }
    if (node === null || (isScalar(node) && node.value === null)) return;
    if ('items' in shape) {
      if (!isSeq(node)) fail(line, `${path}: must be a list`);
      node.items.forEach((item, i) => {
        const at = lineAt(item, line);
        lines.set(`${path}[${i}]`, at);
        walk(item, shape.items, `${path}[${i}]`, at);
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
      walk(pair.value, 'keys' in shape ? shape.keys[key]! : shape.values, keyPath, at);
    }
  };
  walk(doc.contents, SHAPE, '', lineAt(doc.contents, 1));
  return lines;
}

/** Reads one descriptor file; a problem throws DescriptorProblem with the file and line. */
export function readDescriptor(file: string, text: string): Descriptor {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    throw new DescriptorProblem(file, counter.linePos(error.pos[0]).line, error.message.split('\n')[0]!);
  }
  if (!isMap(doc.contents)) throw new DescriptorProblem(file, 1, 'a site descriptor is a YAML mapping (name: ..., institution: ...)');
  const lines = linesOf(doc, counter, (line, problem) => {
    throw new DescriptorProblem(file, line, problem);
  });
  const firstLine = counter.linePos(doc.contents.range?.[0] ?? 0).line;
  const lineOf = (field: string): number => {
    let path = field;
    while (path && !lines.has(path)) {
      const parent = path.replace(/(?:\.[^.[\]]*|\[\d+\])$/, '');
      path = parent === path ? '' : parent;
    }
    return lines.get(path) ?? firstLine;
  };
  const fail = (field: string, problem: string): never => {
    throw new DescriptorProblem(file, lineOf(field), `${field}: ${problem}`);
  };

  const raw = doc.toJS() as Record<string, unknown>;
  if (raw.emulated === true) {
    fail('emulated', 'sites of the bundled emulator are set up when the broker starts (SKYPOOL_SITES); here you apply descriptors of clouds with an endpoint and credentials');
  }
  if (raw.emulator !== undefined) fail('emulator', 'only emulated sites have emulator settings');

  const text_ = (field: string, value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '') return fail(field, 'required, a string');
    return value;
  };
  const credential = (field: string): string => {
    const value = text_(field, raw[field]);
    if (/^(env|file):/.test(value)) {
      fail(field, `${value.split(':')[0]}: references are read on the machine that applies the file, which a browser cannot do: apply this file with \`skypool sites apply\`, or give the value itself`);
    }
    return value;
  };
  const whole = (field: string, value: unknown, optional = false): number | null | undefined => {
    if (value === undefined || value === null) return optional ? value : fail(field, 'required, a whole number');
    if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > MAX_INT) return fail(field, `must be a whole number up to ${MAX_INT}, got ${String(value)}`);
    return value;
  };
  const number = (field: string, value: unknown): number | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(field, `must be a number, got ${String(value)}`);
    return value;
  };
  const bool = (field: string, value: unknown): boolean | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') return fail(field, `must be true or false, got ${String(value)}`);
    return value;
  };
  const words = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.map((v) => String(v)) : undefined);

  const capacity = (raw.capacity ?? fail('capacity', 'required: vcpus, memoryMiB, gpus, instances')) as Record<string, unknown>;
  const instanceTypes = ((raw.instanceTypes ?? []) as (Record<string, unknown> | null)[]).map((t) => t ?? {});
  const images = ((raw.images ?? []) as (Record<string, unknown> | null)[]).map((m) => m ?? {});
  const network = raw.network as Record<string, unknown> | null | undefined;
  const labels = raw.labels as Record<string, unknown> | null | undefined;
  const tagMode = raw.tagMode;
  if (tagMode !== undefined && tagMode !== null && tagMode !== 'ON_CREATE' && tagMode !== 'AFTER_CREATE') fail('tagMode', `must be ON_CREATE or AFTER_CREATE, got ${String(tagMode)}`);

  const input: SiteDescriptorInput = {
    file,
    name: text_('name', raw.name),
    institution: text_('institution', raw.institution),
    endpoint: text_('endpoint', raw.endpoint),
    region: text_('region', raw.region),
    accessKeyId: credential('accessKeyId'),
    secretAccessKey: credential('secretAccessKey'),
    capacity: {
      vcpus: whole('capacity.vcpus', capacity.vcpus)!,
      memoryMiB: whole('capacity.memoryMiB', capacity.memoryMiB)!,
      gpus: whole('capacity.gpus', capacity.gpus, true),
      instances: whole('capacity.instances', capacity.instances, true),
    },
    instanceTypes: instanceTypes.map((t, i) => ({
      name: String(t.name ?? ''),
      vcpus: whole(`instanceTypes[${i}].vcpus`, t.vcpus)!,
      memoryMiB: whole(`instanceTypes[${i}].memoryMiB`, t.memoryMiB)!,
      gpus: whole(`instanceTypes[${i}].gpus`, t.gpus, true),
    })),
    images: images.map((m) => ({ image: String(m.image ?? ''), imageId: String(m.imageId ?? '') })),
    homeShare: number('homeShare', raw.homeShare),
    lendsHomeShare: bool('lendsHomeShare', raw.lendsHomeShare),
    availabilityZones: words(raw.availabilityZones),
    // YAML may read `version: 2` as a number: labels are text
    labels: labels ? Object.entries(labels).map(([key, value]) => ({ key, value: String(value) })) : undefined,
    network: network
      ? ({
          securityGroupIds: words(network.securityGroupIds),
          subnetId: network.subnetId == null ? undefined : String(network.subnetId),
          keyName: network.keyName == null ? undefined : String(network.keyName),
          associatePublicIp: bool('network.associatePublicIp', network.associatePublicIp),
        } satisfies NetworkSettingsInput)
      : undefined,
    tagMode: (tagMode ?? undefined) as SiteDescriptorInput['tagMode'],
  };
  return { file, input, lineOf };
}

/** Reads every file; one bad file, or two files naming the same site, stops them all. */
export function readDescriptors(files: readonly { name: string; text: string }[]): Descriptor[] {
  const descriptors = files.map((f) => readDescriptor(f.name, f.text));
  const seen = new Map<string, string>();
  for (const d of descriptors) {
    const other = seen.get(d.input.name);
    if (other) throw new DescriptorProblem(d.file, d.lineOf('name'), `name: ${d.input.name} is also defined in ${other}`);
    seen.set(d.input.name, d.file);
  }
  return descriptors;
}

/**
 * An API refusal about `sites[2].capacity` in words about the third file, at the line of
 * `capacity`; one about `sites[2]` as a whole (FORBIDDEN for another institution's site) at the
 * line of its name. The API's option is named as the page names it.
 */
export function placeRefusal(descriptors: readonly Descriptor[], field: string | undefined, message: string, allowUnhealthyLabel: string): string {
  const worded = message.replace('allowUnhealthy: true', `"${allowUnhealthyLabel}"`);
  const [, index, rest] = /^sites\[(\d+)\]\.?(.*)$/.exec(field ?? '') ?? [];
  const descriptor = index === undefined ? undefined : descriptors[Number(index)];
  if (!descriptor) return worded;
  return `${descriptor.file}:${descriptor.lineOf(rest || 'name')}: ${worded.replace(/^sites\[\d+\]\./, '')}`;
}
