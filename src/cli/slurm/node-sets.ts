import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { CliError } from '../cli-error.js';
import { ExitCode } from '../exit-codes.js';
import { parseDuration } from '../units.js';
import { expandHostList, HostListError } from './hostlist.js';

/**
 * The node-set file (SKYPOOL_SLURM_FILE): which of a Slurm cluster's CLOUD nodes Skypool starts,
 * charged to which project, in what shape. `skypool slurm config` turns it into slurm.conf lines,
 * and the programs Slurm calls read it to know what to ask for.
 */
export interface NodeSetFile {
  file: string;
  project: string;
  /** Tags every request (slurm:cluster), so that clusters sharing a project keep their nodes apart. */
  cluster: string;
  /** Where `skypool slurm wrappers` puts the programs slurm.conf names. */
  programDir: string;
  /** slurm.conf's ResumeTimeout, in seconds: how long Slurm waits for a node to register. */
  resumeTimeoutSeconds: number;
  /** slurm.conf's SuspendTime, in seconds: how long a node idles before Slurm gives it back. */
  suspendTimeSeconds: number;
  nodeSets: NodeSet[];
}

export interface NodeSet {
  /** As written (`cloud[1-4]`), and expanded. */
  hostList: string;
  nodes: string[];
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  leaseHours: number;
  /** slurm.conf Feature=, besides `skypool` which every node set has. */
  features: string[];
  sites?: string[];
  preferSites?: string[];
  requirements?: string[];
  /** cloud-init for the instance; `{{slurm_node}}` in it is the node's name. */
  userData?: string;
  sshPublicKey?: string;
  /** A node not RUNNING this long after `resume` is handed back to Slurm (power_down_force). */
  placementDeadlineSeconds: number;
  /** slurm.conf RealMemory: what slurmd will find, a little under the instance's memory. */
  realMemoryMiB: number;
}

export class NodeSetFileError extends CliError {
  constructor(file: string, line: number | undefined, problem: string) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}`, ExitCode.USAGE);
    this.name = 'NodeSetFileError';
  }
}

const TOP_KEYS = ['project', 'cluster', 'programDir', 'resumeTimeout', 'suspendTime', 'nodeSets'];
const SET_KEYS = ['nodes', 'image', 'vcpus', 'memoryMiB', 'gpus', 'leaseHours', 'features', 'sites', 'preferSites', 'requirements', 'userDataFile', 'sshKeyFile', 'placementDeadline', 'realMemoryMiB'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The kernel and the OS keep some memory; slurmd reports what is left, and refuses a node that has less than RealMemory. */
const MEMORY_KEPT_BY_THE_OS = 0.05;

export function readNodeSetFile(path: string): NodeSetFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NodeSetFileError(path, undefined, `cannot read the node-set file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set SKYPOOL_SLURM_FILE or give --file`);
  }
  return parseNodeSetFile(text, path);
}

export function parseNodeSetFile(text: string, file: string): NodeSetFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) throw new NodeSetFileError(file, doc.errors[0]!.linePos?.[0].line, doc.errors[0]!.message.split('\n')[0]!);
  const problem = (path: (string | number)[], message: string) => new NodeSetFileError(file, lineOf(doc, lines, path), `${path.join('.').replace(/\.(\d+)/g, '[$1]')}: ${message}`);
  const top = doc.toJS() as unknown;
  if (!isRecord(top)) throw new NodeSetFileError(file, undefined, 'expected a mapping with project and nodeSets (see the README, "Bursting from Slurm")');
  unknownKeys(top, TOP_KEYS, [], problem);

  const textAt = (path: (string | number)[], value: unknown, pattern?: RegExp): string => {
    if (typeof value !== 'string' || value.trim() === '') throw problem(path, 'expected a text');
    if (pattern && !pattern.test(value)) throw problem(path, `${JSON.stringify(value)} has characters other than letters, digits, "_", "." and "-"`);
    return value.trim();
  };
  const whole = (path: (string | number)[], value: unknown, min: number): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw problem(path, `expected a whole number from ${min}, got ${JSON.stringify(value)}`);
    return value;
  };
  const duration = (path: (string | number)[], value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    try {
      return parseDuration(String(value), '', 's');
    } catch {
      throw problem(path, `expected a duration such as 10m, 90s or a number of seconds, got ${JSON.stringify(value)}`);
    }
  };
  const texts = (path: (string | number)[], value: unknown): string[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw problem(path, 'expected a list');
    return value.map((item, i) => textAt([...path, i], item));
  };
  const fileText = (path: (string | number)[], value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    const wanted = resolve(dirname(file), textAt(path, value));
    try {
      return readFileSync(wanted, 'utf8');
    } catch (err) {
      throw problem(path, `cannot read ${wanted} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };

  const resumeTimeoutSeconds = duration(['resumeTimeout'], top.resumeTimeout, 600);
  if (!Array.isArray(top.nodeSets) || top.nodeSets.length === 0) throw problem(['nodeSets'], 'expected a list of at least one node set');
  const seen = new Map<string, number>();
  const nodeSets = top.nodeSets.map((raw: unknown, i): NodeSet => {
    const at = (key: string) => ['nodeSets', i, key];
    if (!isRecord(raw)) throw problem(['nodeSets', i], 'expected a mapping with nodes, image, vcpus, memoryMiB and leaseHours');
    unknownKeys(raw, SET_KEYS, ['nodeSets', i], problem);
    const hostList = textAt(at('nodes'), raw.nodes);
    let nodes: string[];
    try {
      nodes = expandHostList(hostList);
    } catch (err) {
      if (err instanceof HostListError) throw problem(at('nodes'), err.message);
      throw err;
    }
    for (const node of nodes) {
      if (seen.has(node)) throw problem(at('nodes'), `node ${node} is in node set ${seen.get(node)} too`);
      seen.set(node, i);
    }
    const memoryMiB = whole(at('memoryMiB'), raw.memoryMiB, 1);
    const leaseHours = raw.leaseHours;
    if (typeof leaseHours !== 'number' || !(leaseHours > 0)) throw problem(at('leaseHours'), `expected a number of hours above 0, got ${JSON.stringify(leaseHours)}`);
    const placementDeadlineSeconds = duration(at('placementDeadline'), raw.placementDeadline, Math.floor(resumeTimeoutSeconds / 2));
    if (placementDeadlineSeconds >= resumeTimeoutSeconds) {
      throw problem(at('placementDeadline'), `must be shorter than resumeTimeout (${resumeTimeoutSeconds} s), which also has to cover the boot and slurmd's registration`);
    }
    const features = texts(at('features'), raw.features) ?? [];
    features.forEach((feature, f) => textAt([...at('features'), f], feature, NAME));
    return {
      hostList,
      nodes,
      image: textAt(at('image'), raw.image),
      vcpus: whole(at('vcpus'), raw.vcpus, 1),
      memoryMiB,
      gpus: raw.gpus === undefined ? 0 : whole(at('gpus'), raw.gpus, 0),
      leaseHours,
      features,
      sites: texts(at('sites'), raw.sites),
      preferSites: texts(at('preferSites'), raw.preferSites),
      requirements: texts(at('requirements'), raw.requirements),
      userData: fileText(at('userDataFile'), raw.userDataFile),
      sshPublicKey: fileText(at('sshKeyFile'), raw.sshKeyFile)?.trim(),
      placementDeadlineSeconds,
      realMemoryMiB: raw.realMemoryMiB === undefined ? Math.floor(memoryMiB * (1 - MEMORY_KEPT_BY_THE_OS)) : whole(at('realMemoryMiB'), raw.realMemoryMiB, 1),
    };
  });
  return {
    file,
    project: textAt(['project'], top.project),
    cluster: top.cluster === undefined ? 'slurm' : textAt(['cluster'], top.cluster, NAME),
    programDir: top.programDir === undefined ? '/usr/local/sbin' : textAt(['programDir'], top.programDir),
    resumeTimeoutSeconds,
    suspendTimeSeconds: duration(['suspendTime'], top.suspendTime, 600),
    nodeSets,
  };
}

/** The node set a node belongs to, or undefined for a node Skypool does not start. */
export function nodeSetOf(file: NodeSetFile, node: string): NodeSet | undefined {
  return file.nodeSets.find((set) => set.nodes.includes(node));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: Record<string, unknown>, known: string[], path: (string | number)[], problem: (path: (string | number)[], message: string) => Error): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) throw problem([...path, unknown], `unknown setting (known here: ${known.join(', ')})`);
}

function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
    const key = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      const offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
      if (offset !== undefined) return lines.linePos(offset).line;
    }
    if (isSeq(parent) && typeof key === 'number') {
      const offset = (parent.items[key] as { range?: [number, number, number] } | undefined)?.range?.[0];
      if (offset !== undefined) return lines.linePos(offset).line;
    }
  }
  return undefined;
}
