import { withFlagNames, type ApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import { paint, printJson, stateColour, table } from './output.js';
import { readFileFlag, resolveProject, type OutputOptions } from './request-commands.js';

/** What `pool create` is given, already read from its flags. */
export interface PoolFlags {
  project: string;
  name: string;
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus?: number;
  leaseSeconds: number;
  min?: number;
  max: number;
  size?: number;
  userDataFile?: string;
}

interface PoolView {
  id: string;
  name: string;
  state: string;
  project: { name: string };
  image: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  leaseHours: number;
  minSize: number;
  maxSize: number;
  desiredSize: number;
  running: number;
  reason: string | null;
  members: { id: string; state: string; reason: string | null; instances: { state: string; privateIp: string | null; site: { name: string } }[] }[];
}

const POOL_FIELDS = `id name state project { name } image vcpus memoryMiB gpus leaseHours minSize maxSize desiredSize running reason
  members { id state reason instances { state privateIp site { name } } }`;

const FLAG_OF_FIELD: Record<string, string> = {
  projectId: '--project',
  name: '--name',
  image: '--image',
  vcpus: '--vcpus',
  memoryMiB: '--memory',
  gpus: '--gpus',
  leaseHours: '--lease',
  minSize: '--min',
  maxSize: '--max',
  desiredSize: '--size',
  userData: '--user-data',
};

/** `--pool` and the commands' operand take a pool's id or its name (among the pools the caller may see). */
async function resolvePool(api: ApiClient, text: string): Promise<string> {
  const { workerPools } = await api.request<{ workerPools: { id: string; name: string; project: { name: string } }[] }>('{ workerPools { id name project { name } } }');
  const found = workerPools.filter((p) => p.id === text || p.name === text);
  if (found.length === 1) return found[0]!.id;
  if (found.length > 1) throw new CliError(`${text} names ${found.length} worker pools (in ${found.map((p) => p.project.name).join(', ')}); give the id (see \`skypool pool list\`)`);
  throw new CliError(`no worker pool ${JSON.stringify(text)} among those you may see (see \`skypool pool list\`)`);
}

function printPool(pool: PoolView, out: OutputOptions): void {
  out.print(`${pool.name} (${pool.id}) ${paint(pool.state, pool.state === 'ACTIVE' ? 'green' : 'dim', out.colour)}: ${pool.running} of ${pool.desiredSize} running (from ${pool.minSize} to ${pool.maxSize})`);
  out.print(`project ${pool.project.name}; each ${pool.vcpus} vCPU, ${pool.memoryMiB} MiB${pool.gpus ? `, ${pool.gpus} GPU` : ''}; image ${pool.image}; lease ${pool.leaseHours} h`);
  if (pool.reason) out.print(`short: ${pool.reason}`);
  if (pool.members.length === 0) return;
  out.print('');
  const rows = pool.members.map((m) => {
    const live = m.instances.find((i) => i.state === 'RUNNING') ?? m.instances.at(-1);
    return [m.id, m.state, live?.site.name ?? '', live?.privateIp ?? '', m.reason ?? ''];
  });
  for (const line of table(['REQUEST', 'STATE', 'SITE', 'ADDRESS', 'REASON'], rows, (text, column) => (column === 1 ? paint(text, stateColour(text), out.colour) : text))) out.print(line);
}

/** `skypool pool create ...`. */
export async function createPool(api: ApiClient, flags: PoolFlags, out: OutputOptions): Promise<void> {
  const project = await resolveProject(api, flags.project);
  const input = {
    projectId: project.id,
    name: flags.name,
    image: flags.image,
    vcpus: flags.vcpus,
    memoryMiB: flags.memoryMiB,
    gpus: flags.gpus,
    leaseHours: flags.leaseSeconds / 3600,
    minSize: flags.min,
    maxSize: flags.max,
    desiredSize: flags.size,
    userData: flags.userDataFile === undefined ? undefined : readFileFlag(flags.userDataFile, '--user-data'),
  };
  const { createWorkerPool } = await withFlagNames(
    api.request<{ createWorkerPool: PoolView }>(`mutation($input: CreateWorkerPoolInput!) { createWorkerPool(input: $input) { ${POOL_FIELDS} } }`, { input }),
    FLAG_OF_FIELD,
  );
  if (out.json) return printJson(createWorkerPool, out.print);
  out.print(`${createWorkerPool.id} worker pool ${createWorkerPool.name}: ${createWorkerPool.desiredSize} wanted`);
}

/** `skypool pool scale POOL --size N`. */
export async function scalePool(api: ApiClient, pool: string, size: number, out: OutputOptions): Promise<void> {
  const id = await resolvePool(api, pool);
  const { setWorkerPoolSize } = await withFlagNames(
    api.request<{ setWorkerPoolSize: PoolView }>(`mutation($id: ID!, $size: Int!) { setWorkerPoolSize(id: $id, desiredSize: $size) { ${POOL_FIELDS} } }`, { id, size }),
    FLAG_OF_FIELD,
  );
  if (out.json) return printJson(setWorkerPoolSize, out.print);
  out.print(`${setWorkerPoolSize.name}: ${setWorkerPoolSize.desiredSize} wanted, ${setWorkerPoolSize.running} running`);
}

/** `skypool pool show POOL`: its members and, when it is short, why. */
export async function showPool(api: ApiClient, pool: string, out: OutputOptions): Promise<void> {
  const id = await resolvePool(api, pool);
  const { workerPool } = await api.request<{ workerPool: PoolView }>(`query($id: ID!) { workerPool(id: $id) { ${POOL_FIELDS} } }`, { id });
  if (out.json) return printJson(workerPool, out.print);
  printPool(workerPool, out);
}

/** `skypool pool list [--project P]`. */
export async function listPools(api: ApiClient, project: string | undefined, out: OutputOptions): Promise<void> {
  const projectId = project === undefined ? undefined : (await resolveProject(api, project)).id;
  const { workerPools } = await api.request<{ workerPools: PoolView[] }>(`query($p: ID) { workerPools(projectId: $p) { ${POOL_FIELDS} } }`, { p: projectId });
  if (out.json) return printJson(workerPools, out.print);
  if (workerPools.length === 0) return out.print('no worker pools');
  const rows = workerPools.map((p) => [p.name, p.project.name, `${p.running}/${p.desiredSize}`, `${p.minSize}-${p.maxSize}`, `${p.vcpus} vCPU, ${p.memoryMiB} MiB`, p.reason ?? '', p.id]);
  for (const line of table(['NAME', 'PROJECT', 'RUNNING', 'SIZES', 'EACH', 'SHORT BECAUSE', 'ID'], rows)) out.print(line);
}

/** `skypool pool delete POOL`: its members end. */
export async function deletePool(api: ApiClient, pool: string, out: OutputOptions): Promise<void> {
  const id = await resolvePool(api, pool);
  const { deleteWorkerPool } = await api.request<{ deleteWorkerPool: PoolView }>(`mutation($id: ID!) { deleteWorkerPool(id: $id) { ${POOL_FIELDS} } }`, { id });
  if (out.json) return printJson(deleteWorkerPool, out.print);
  out.print(`${deleteWorkerPool.name} deleted; its ${deleteWorkerPool.members.length} member(s) are ending`);
}
