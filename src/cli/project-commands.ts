import type { ApiClient } from './api-client.js';
import { printJson, table } from './output.js';
import type { OutputOptions } from './request-commands.js';

interface ProjectView {
  id: string;
  name: string;
  institution: string;
  usage: { inUse: { vcpus: number; memoryMiB: number }; limits: { vcpus: number; memoryMiB: number }; coreHoursUsed: number; coreHoursLeft: number | null };
}

/** `skypool projects`: the projects you may see, what they use against their limits, and the budget left. */
export async function listProjects(api: ApiClient, out: OutputOptions): Promise<void> {
  const { projects } = await api.request<{ projects: ProjectView[] }>(
    '{ projects { id name institution usage { inUse { vcpus memoryMiB } limits { vcpus memoryMiB } coreHoursUsed coreHoursLeft } } }',
  );
  if (out.json) return printJson(projects, out.print);
  if (projects.length === 0) return out.print('no projects (a project manager or an admin adds you to one)');
  const rows = projects.map(({ name, institution, id, usage }) => [
    name,
    institution,
    `${usage.inUse.vcpus}/${usage.limits.vcpus}`,
    `${usage.inUse.memoryMiB}/${usage.limits.memoryMiB}`,
    usage.coreHoursLeft === null ? 'unlimited' : `${Math.round(usage.coreHoursLeft * 10) / 10}`,
    id,
  ]);
  for (const line of table(['NAME', 'INSTITUTION', 'VCPUS', 'MEMORY MIB', 'CORE-HOURS LEFT', 'ID'], rows)) out.print(line);
}
