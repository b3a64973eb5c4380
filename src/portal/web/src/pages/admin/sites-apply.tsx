import { useId, useState } from 'react';
import { Button } from 'react-aria-components';
import { useMutation } from 'urql';
import { describeError, fieldOf } from '../../api/client';
import { AdminApplySitesDocument, type AdminApplySitesMutation } from '../../api/generated';
import { ScrollTable } from '../../components/scroll-table';
import { DescriptorProblem, MAX_DESCRIPTOR_BYTES, placeRefusal, readDescriptors, type Descriptor } from './sites-descriptor';
import { describeCapacity, describeSetting, type SiteSettings } from './sites-settings';

type Changes = AdminApplySitesMutation['applySites']['changes'];

const ALLOW_UNHEALTHY = 'Apply even if a site cannot be reached';
const CREDENTIALS = new Set(['accessKeyId', 'secretAccessKey']);
const SETTING_NAMES: Record<string, string> = {
  institution: 'institution', endpoint: 'endpoint', region: 'region', accessKeyId: 'access key id', secretAccessKey: 'secret access key', capacity: 'capacity',
  instanceTypes: 'instance types', images: 'images', homeShare: 'home share', lendsHomeShare: 'lends home share', availabilityZones: 'availability zones',
  labels: 'labels', network: 'network', tagMode: 'tags', emulated: 'emulated',
};

function settingsOf(d: Descriptor): SiteSettings {
  return { ...d.input, emulated: false };
}

/**
 * Site descriptor files (YAML, as `skypool sites apply` takes them): read in the browser, a dry run
 * shows what would change, setting by setting, then Apply sends the same files, all or none.
 */
export function ApplyDescriptors() {
  const id = useId();
  const [descriptors, setDescriptors] = useState<Descriptor[]>([]);
  const [problem, setProblem] = useState<string>();
  const [allowUnhealthy, setAllowUnhealthy] = useState(false);
  const [dryRun, setDryRun] = useState<Changes>();
  const [applied, setApplied] = useState<Changes>();
  const [application, apply] = useMutation(AdminApplySitesDocument);

  const onFiles = async (list: FileList | null) => {
    setDryRun(undefined);
    setApplied(undefined);
    setProblem(undefined);
    setDescriptors([]);
    const files = [...(list ?? [])];
    if (files.length === 0) return;
    const large = files.find((f) => f.size > MAX_DESCRIPTOR_BYTES);
    if (large) return setProblem(`${large.name}: the file is larger than 1 MB (${large.size} bytes); a site descriptor is a few hundred bytes`);
    try {
      setDescriptors(readDescriptors(await Promise.all(files.map(async (f) => ({ name: f.name, text: await f.text() })))));
    } catch (err) {
      if (!(err instanceof DescriptorProblem)) throw err;
      setProblem(`${err.message}; nothing was sent`);
    }
  };

  const send = async (asDryRun: boolean) => {
    setProblem(undefined);
    const outcome = await apply({ input: { sites: descriptors.map((d) => d.input), dryRun: asDryRun, allowUnhealthy } });
    if (outcome.error) {
      setProblem(`${placeRefusal(descriptors, fieldOf(outcome.error), describeError(outcome.error), ALLOW_UNHEALTHY)}; nothing was ${asDryRun ? 'checked' : 'applied'}`);
      if (!asDryRun) setDryRun(undefined);
      return;
    }
    const changes = outcome.data?.applySites.changes ?? [];
    if (asDryRun) setDryRun(changes);
    else {
      setDryRun(undefined);
      setApplied(changes);
    }
  };

  const describedBy = [`${id}-hint`, problem && `${id}-problem`].filter(Boolean).join(' ');
  return (
    <div className="site-apply">
      <div className="field">
        <label htmlFor={`${id}-files`}>Site descriptor files</label>
        <input id={`${id}-files`} type="file" accept=".yaml,.yml" multiple aria-describedby={describedBy} aria-invalid={problem ? true : undefined} onChange={(e) => void onFiles(e.target.files)} />
        <span id={`${id}-hint`} className="hint">
          YAML, one site a file, as <code>skypool sites apply</code> reads them. Credentials are given as values here: <code>env:</code> and <code>file:</code> references are read
          only by the command line, on the machine that applies the files.
        </span>
        {problem && (
          <span id={`${id}-problem`} className="field-error" role="alert">
            {problem}
          </span>
        )}
      </div>
      <label className="site-checkbox">
        <input type="checkbox" checked={allowUnhealthy} onChange={(e) => setAllowUnhealthy(e.target.checked)} /> {ALLOW_UNHEALTHY} (it starts DEGRADED or DOWN)
      </label>
      <div className="dialog-buttons site-apply-buttons">
        <Button className="button" isDisabled={descriptors.length === 0 || application.fetching} onPress={() => void send(true)}>
          Check (dry run)
        </Button>
      </div>
      {dryRun && (
        <>
          <DiffTable changes={dryRun} descriptors={descriptors} />
          <p className="hint">
            A dry run probes nothing; applying probes every site first, and one that cannot be reached stops the whole apply unless “{ALLOW_UNHEALTHY}” is ticked.
          </p>
          <Button className="button primary" isDisabled={application.fetching || dryRun.every((c) => c.action === 'UNCHANGED')} onPress={() => void send(false)}>
            Apply
          </Button>
        </>
      )}
      {applied && <AppliedTable changes={applied} />}
    </div>
  );
}

function DiffTable({ changes, descriptors }: { changes: Changes; descriptors: Descriptor[] }) {
  const count = (action: string) => changes.filter((c) => c.action === action).length;
  return (
    <ScrollTable label="Dry-run table">
      <table className="site-table site-diff">
        <caption>
          Dry run: {count('CREATE')} to create, {count('UPDATE')} to update, {count('UNCHANGED')} unchanged; nothing was changed
        </caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Change</th>
            <th scope="col">Setting</th>
            <th scope="col">Now</th>
            <th scope="col">From the file</th>
          </tr>
        </thead>
        <tbody>
          {changes.flatMap((change) => {
            const descriptor = descriptors.find((d) => d.input.name === change.name);
            const wanted = descriptor ? settingsOf(descriptor) : undefined;
            if (change.action === 'CREATE') {
              return [
                <tr key={change.name}>
                  <th scope="row">{change.name}</th>
                  <td>create</td>
                  <td>all</td>
                  <td>—</td>
                  <td>{wanted?.capacity ? `${wanted.institution}, ${wanted.endpoint}; ${describeCapacity(wanted.capacity)}` : ''}</td>
                </tr>,
              ];
            }
            if (change.action === 'UNCHANGED' || change.fields.length === 0) {
              return [
                <tr key={change.name}>
                  <th scope="row">{change.name}</th>
                  <td>unchanged</td>
                  <td colSpan={3}>the site already has these settings</td>
                </tr>,
              ];
            }
            return change.fields.map((field) => (
              <tr key={`${change.name}-${field}`}>
                <th scope="row">{change.name}</th>
                <td>update</td>
                <td>{SETTING_NAMES[field] ?? field}</td>
                <td>{CREDENTIALS.has(field) ? 'not shown' : ((change.site && describeSetting(field, change.site)) ?? '—')}</td>
                <td>{CREDENTIALS.has(field) ? 'a new value (not shown)' : ((wanted && describeSetting(field, wanted)) ?? '—')}</td>
              </tr>
            ));
          })}
        </tbody>
      </table>
    </ScrollTable>
  );
}

function AppliedTable({ changes }: { changes: Changes }) {
  const count = (action: string) => changes.filter((c) => c.action === action).length;
  return (
    <div role="status">
      <ScrollTable label="Applied table">
        <table className="site-table">
          <caption>
            Applied: {count('CREATE')} created, {count('UPDATE')} updated, {count('UNCHANGED')} unchanged
          </caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Change</th>
              <th scope="col">Health</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((change) => (
              <tr key={change.name}>
                <th scope="row">{change.name}</th>
                <td>{change.action === 'UPDATE' ? `updated: ${change.fields.map((f) => SETTING_NAMES[f] ?? f).join(', ')}` : change.action === 'CREATE' ? 'created' : 'unchanged'}</td>
                <td>
                  {change.site?.health ?? '—'}
                  {change.site?.healthReport.lastError && ` (${change.site.healthReport.lastError})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </div>
  );
}
