import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from './api-client.js';
import { CliError, UsageError } from './cli-error.js';
import { printJson, table } from './output.js';
import { resolveProject, type OutputOptions } from './request-commands.js';

export const USAGE_GROUPINGS = ['project', 'site', 'institution', 'month', 'image', 'instance-type'] as const;

/** `--group-by project,site`: the groupings, as the API names them. */
export function parseGroupBy(value: string): string[] {
  return value
    .split(',')
    .map((g) => g.trim().toLowerCase())
    .filter((g) => g !== '')
    .map((g) => {
      if (!(USAGE_GROUPINGS as readonly string[]).includes(g)) throw new UsageError(`--group-by: ${JSON.stringify(g)} is not one of ${USAGE_GROUPINGS.join(', ')}`);
      return g.replace('-', '_').toUpperCase();
    });
}

export interface UsageFlags {
  from?: string;
  to?: string;
  groupBy: string[];
  project?: string;
  /** a file to write the CSV export to; `-` for stdout */
  csv?: string;
  /** a folder to write the APEL messages to, one file each */
  apel?: string;
}

interface UsageRow {
  projectName: string | null;
  site: { name: string } | null;
  institution: string | null;
  month: string | null;
  image: string | null;
  instanceType: string | null;
  coreHours: number;
  gpuHours: number;
  instanceHours: number;
  instances: number;
}

const COLUMNS: Record<string, [string, (row: UsageRow) => string]> = {
  PROJECT: ['PROJECT', (r) => r.projectName ?? ''],
  SITE: ['SITE', (r) => r.site?.name ?? ''],
  INSTITUTION: ['INSTITUTION', (r) => r.institution ?? ''],
  MONTH: ['MONTH', (r) => r.month ?? ''],
  IMAGE: ['IMAGE', (r) => r.image ?? ''],
  INSTANCE_TYPE: ['INSTANCE TYPE', (r) => r.instanceType ?? ''],
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** This month so far (UTC), unless the flags say otherwise. */
function periodOf(flags: UsageFlags, now: Date): { from: string; to: string } {
  const from = flags.from ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const to = flags.to ?? now.toISOString();
  if (Date.parse(to) <= Date.parse(from)) throw new UsageError(`--to: must be after --from (${from})`);
  return { from, to };
}

/**
 * `skypool usage`: core-hours, GPU-hours and instance-hours per group for a period (this month
 * so far by default), or with --csv / --apel the exports written to a file or a folder.
 */
export async function usage(api: ApiClient, flags: UsageFlags, out: OutputOptions, now = new Date()): Promise<void> {
  const period = periodOf(flags, now);
  // a site admin may ask for a project of another institution by its id, one they cannot list
  const projectId = flags.project === undefined ? undefined : UUID.test(flags.project) ? flags.project : (await resolveProject(api, flags.project)).id;
  if (flags.apel !== undefined) return writeApel(api, period, flags.apel, out);
  if (flags.csv !== undefined) return writeCsv(api, period, flags.groupBy, projectId, flags.csv, out);
  const { usageReport } = await api.request<{ usageReport: UsageRow[] }>(
    `query($from: DateTime!, $to: DateTime!, $groupBy: [UsageGrouping!]!, $projectId: ID) {
      usageReport(from: $from, to: $to, groupBy: $groupBy, projectId: $projectId) {
        projectName site { name } institution month image instanceType coreHours gpuHours instanceHours instances } }`,
    { ...period, groupBy: flags.groupBy, projectId },
  );
  if (out.json) return printJson(usageReport, out.print);
  if (usageReport.length === 0) return out.print(`no usage from ${period.from} to ${period.to}`);
  const columns = flags.groupBy.map((g) => COLUMNS[g]!);
  const rows = usageReport.map((r) => [...columns.map(([, cell]) => cell(r)), r.coreHours.toFixed(2), r.gpuHours.toFixed(2), r.instanceHours.toFixed(2), String(r.instances)]);
  for (const line of table([...columns.map(([title]) => title), 'CORE-HOURS', 'GPU-HOURS', 'INSTANCE-HOURS', 'INSTANCES'], rows)) out.print(line);
}

async function writeCsv(api: ApiClient, period: { from: string; to: string }, groupBy: string[], projectId: string | undefined, file: string, out: OutputOptions): Promise<void> {
  const query = new URLSearchParams({ ...period, groupBy: groupBy.join(',').toLowerCase(), ...(projectId ? { projectId } : {}) });
  const { text } = await api.get(`/accounting/usage.csv?${query.toString()}`);
  if (file === '-') {
    process.stdout.write(text);
    return;
  }
  writeFile(file, text, '--csv');
  const rows = text.split('\r\n').filter((line) => line !== '').length - 1;
  if (out.json) return printJson({ file, rows }, out.print);
  out.print(`wrote ${rows} row${rows === 1 ? '' : 's'} to ${file}`);
}

/** Every page of the APEL export, one message per file (00001.apel, ...), as an SSM sender's outgoing folder holds them. */
async function writeApel(api: ApiClient, period: { from: string; to: string }, folder: string, out: OutputOptions): Promise<void> {
  let path: string | null = `/accounting/apel?${new URLSearchParams(period).toString()}`;
  const files: string[] = [];
  let records = 0;
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw new CliError(`--apel: cannot make the folder ${folder}: ${(err as Error).message}`);
  }
  while (path !== null) {
    const page: { text: string; next: string | null } = await api.get(path);
    const file = join(folder, `${String(files.length + 1).padStart(5, '0')}.apel`);
    writeFile(file, page.text, '--apel');
    files.push(file);
    records += page.text.split('\n').filter((line) => line === '%%').length;
    path = page.next;
  }
  if (out.json) return printJson({ folder, messages: files.length, records }, out.print);
  out.print(`wrote ${records} record${records === 1 ? '' : 's'} in ${files.length} message${files.length === 1 ? '' : 's'} to ${folder}`);
}

function writeFile(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new CliError(`${flag}: cannot write ${path}: ${(err as Error).message}`);
  }
}
