import { ConfigError } from '../config/config.js';
import { credentialSourcesFrom, DescriptorError, readDescriptorFolder, type SiteDescriptor } from '../sites/site-descriptors.js';
import { ApiClient, ApiError } from './api-client.js';
import { CliError } from './cli-error.js';
import { printJson, table } from './output.js';

interface SiteRow {
  id: string;
  name: string;
  institution: string;
  endpoint: string;
  health: string;
  draining: boolean;
  healthReport: { lastError: string | null };
}

interface Change {
  name: string;
  action: 'CREATE' | 'UPDATE' | 'UNCHANGED';
  fields: string[];
  site: { health: string; healthReport: { lastError: string | null } } | null;
}

const SITE_FIELDS = 'id name institution endpoint health draining healthReport { lastError }';

/**
 * `skypool sites apply <dir> [--dry-run] [--allow-unhealthy]`: every descriptor in the folder, all
 * or none. The broker probes every site first; one that cannot be reached or refuses the
 * credentials stops the apply, unless `allowUnhealthy`.
 */
export async function applySites(api: ApiClient, dir: string, options: { dryRun: boolean; allowUnhealthy: boolean; json: boolean }, print: (line: string) => void): Promise<void> {
  const { dryRun, allowUnhealthy } = options;
  let descriptors: SiteDescriptor[];
  try {
    descriptors = readDescriptorFolder(dir, credentialSourcesFrom(process.env));
  } catch (err) {
    if (err instanceof DescriptorError || err instanceof ConfigError) throw new CliError(`${err.message}\nnothing was applied`);
    throw err;
  }
  const emulated = descriptors.find((d) => d.emulated);
  if (emulated) {
    throw new CliError(`${emulated.file}: emulated: sites of the bundled emulator are set up when the broker starts (SKYPOOL_SITES); to try a descriptor against an emulator, run \`skypool emulate <file>\` and give its endpoint\nnothing was applied`);
  }
  const sites = descriptors.map(({ file, spec, references }) => ({
    ...spec,
    file,
    accessKeyIdReference: references?.accessKeyId,
    labels: Object.entries(spec.labels ?? {}).map(([key, value]) => ({ key, value })),
  }));
  let changes: Change[];
  try {
    const data = await api.request<{ applySites: { changes: Change[] } }>(
      `mutation Apply($input: ApplySitesInput!) { applySites(input: $input) { changes { name action fields site { health healthReport { lastError } } } } }`,
      { input: { sites, dryRun, allowUnhealthy } },
    );
    changes = data.applySites.changes;
    if (options.json) return printJson(data.applySites, print);
  } catch (err) {
    // the API's option is the command's flag
    const exitCode = err instanceof CliError ? err.exitCode : undefined;
    throw new CliError(`${describeApiError(err, descriptors).replace('allowUnhealthy: true', '--allow-unhealthy')}\nnothing was applied`, exitCode);
  }
  const width = Math.max(...changes.map((c) => c.name.length), 4);
  for (const change of changes) {
    const what = change.action === 'UPDATE' ? `update: ${change.fields.join(', ')}` : change.action.toLowerCase();
    const health = dryRun || !change.site ? '' : `  ${change.site.health}${change.site.healthReport.lastError ? ` (${change.site.healthReport.lastError})` : ''}`;
    print(`${change.name.padEnd(width)}  ${what}${health}`);
  }
  const count = (action: Change['action']) => changes.filter((c) => c.action === action).length;
  const summary = `${count('CREATE')} to create, ${count('UPDATE')} to update, ${count('UNCHANGED')} unchanged`;
  print(dryRun ? `dry run: ${summary}; nothing was changed` : `applied: ${summary.replace('to create', 'created').replace('to update', 'updated')}`);
}

/**
 * A server-side error about `sites[2].capacity` is about the third file, at the line of `capacity`;
 * one about `sites[2]` as a whole (e.g. FORBIDDEN for another institution's site), at the line of its name.
 */
function describeApiError(err: unknown, descriptors: SiteDescriptor[]): string {
  if (!(err instanceof ApiError)) throw err;
  const [, index, field] = /^sites\[(\d+)\]\.?(.*)$/.exec(err.field ?? '') ?? [];
  const descriptor = index === undefined ? undefined : descriptors[Number(index)];
  if (!descriptor) return err.message;
  const line = descriptor.lineOf?.(field || 'name');
  return `${descriptor.file}${line ? `:${line}` : ''}: ${err.message.replace(/^sites\[\d+\]\./, '')}`;
}

/** `skypool sites list [--removed]`: with --removed, the sites taken out of the federation too. */
export async function listSites(api: ApiClient, options: { removed: boolean; json: boolean }, print: (line: string) => void): Promise<void> {
  const { sites } = await api.request<{ sites: (SiteRow & { removedAt: string | null })[] }>(`query($removed: Boolean!) { sites(includeRemoved: $removed) { ${SITE_FIELDS} removedAt } }`, {
    removed: options.removed,
  });
  if (options.json) return printJson(sites, print);
  if (sites.length === 0) return print('no sites');
  const rows = sites.map((site) => [
    site.name,
    site.removedAt ? `REMOVED ${site.removedAt.slice(0, 10)}` : site.draining ? `${site.health}, draining` : site.health,
    site.institution,
    site.endpoint,
    site.healthReport.lastError ?? '',
  ]);
  for (const line of table(['NAME', 'STATE', 'INSTITUTION', 'ENDPOINT', 'LAST ERROR'], rows)) print(line);
}

/** `skypool sites drain|resume|remove|restore <name>`; restore takes the site of that name removed last. */
export async function changeSite(api: ApiClient, verb: 'drain' | 'resume' | 'remove' | 'restore', name: string, json: boolean, print: (line: string) => void): Promise<void> {
  const { sites } = await api.request<{ sites: (SiteRow & { removedAt: string | null })[] }>('{ sites(includeRemoved: true) { id name removedAt } }');
  const named = sites.filter((s) => s.name === name);
  const live = named.find((s) => s.removedAt === null);
  const removed = named.filter((s) => s.removedAt !== null).sort((a, b) => Date.parse(b.removedAt!) - Date.parse(a.removedAt!))[0];
  const site = verb === 'restore' ? removed : live;
  if (verb === 'restore' && live) throw new CliError(`site ${name} is in the federation; there is nothing to restore`);
  if (!site) throw new CliError(verb === 'restore' ? `no removed site named ${name} (see \`skypool sites list --removed\`)` : `no site named ${name} (see \`skypool sites list\`)`);
  const mutation = `${verb}Site`;
  const changed = await api.request<Record<string, SiteRow>>(`mutation($id: ID!) { ${mutation}(id: $id) { ${SITE_FIELDS} } }`, { id: site.id });
  if (json) return printJson(changed[mutation], print);
  const done = { drain: 'draining: no new placements; running leases finish', resume: 'takes placements again', remove: 'removed from the federation', restore: 'back in the federation' };
  print(`${name}: ${done[verb]}`);
}
