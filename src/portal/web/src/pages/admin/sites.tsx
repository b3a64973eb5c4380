import { useCallback, useMemo, useState } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Modal } from 'react-aria-components';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useMutation, useQuery } from 'urql';
import { describeError } from '../../api/client';
import { AdminDrainSiteDocument, AdminResumeSiteDocument, AdminSitesDocument, AdminSiteUseDocument, type AdminSiteFragment, type AdminSiteUseQuery, type SiteHealth } from '../../api/generated';
import { ConfirmButton } from '../../components/confirm-button';
import { ScrollTable } from '../../components/scroll-table';
import { Loading, Problem } from '../../components/status';
import { formatMemory, formatTime } from '../../format';
import { useMe, type Me } from '../../session';
import { usePolling } from '../../use-polling';
import { ApplyDescriptors } from './sites-apply';
import { SiteForm } from './sites-form';
import './sites.css';

const DAY_MS = 86_400_000;

/** Whether the caller may drain, resume and change this institution's sites (the API checks again). */
function managesSite(me: Me, institution: string): boolean {
  return me.roles.some((grant) => grant.role === 'FEDERATION_ADMIN' || (grant.role === 'SITE_ADMIN' && grant.institution === institution));
}

/** The institutions whose sites the caller may register: any for a federation admin. */
function institutionsOf(me: Me): string[] | 'any' {
  if (me.roles.some((grant) => grant.role === 'FEDERATION_ADMIN')) return 'any';
  return [...new Set(me.roles.filter((grant) => grant.role === 'SITE_ADMIN' && grant.institution).map((grant) => grant.institution!))].sort();
}

/** The federation's sites: health, placements, capacity and use; drain and resume, settings, new sites, descriptor files. */
export default function AdminSites() {
  const [{ data, error, fetching }, refresh] = useQuery({ query: AdminSitesDocument });
  // health changes with every probe: keep it current while the page is looked at
  usePolling(useCallback(() => refresh({ requestPolicy: 'network-only' }), [refresh]), 10_000);
  const [saved, setSaved] = useState('');
  const me = useMe();
  const institutions = institutionsOf(me);

  if (error && !data) return <Problem>{describeError(error)}</Problem>;
  if (fetching && !data) return <Loading what="sites" />;
  // a refresh that failed leaves the last answer on the page, with why
  const sites = data?.sites ?? [];
  return (
    <>
      <h1>Sites</h1>
      <p className="site-saved" role="status">
        {saved}
      </p>
      {error && <Problem>The list could not be refreshed: {describeError(error)}</Problem>}
      <section aria-labelledby="sites-health-heading">
        <h2 id="sites-health-heading">Health and placements</h2>
        <p className="hint">
          {(Object.keys(HEALTH_MEANS) as SiteHealth[]).map((health, i) => (
            <span key={health}>
              {i > 0 && '; '}
              <strong>{health}</strong>: {HEALTH_MEANS[health]}
            </span>
          ))}
          . A drained site takes no new placements; what runs there finishes its lease.
        </p>
        {sites.length === 0 ? (
          <p>No sites yet: register one below, or apply descriptor files.</p>
        ) : (
          <div className="table-scroll">
            <table className="site-table">
              <caption className="visually-hidden">Each site's health, its last probe and whether it takes placements</caption>
              <thead>
                <tr>
                  <th scope="col">Site</th>
                  <th scope="col">Health</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Placements</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {sites.map((site) => (
                  <tr key={site.id}>
                    <th scope="row">
                      {site.name}
                      <span className="site-sub">{site.institution}</span>
                      {site.emulated && <span className="site-sub">emulated</span>}
                    </th>
                    <td>
                      <HealthBadge health={site.health} />
                      <span className="site-sub">since {formatTime(site.healthReport.since)}</span>
                      {site.healthReport.circuitOpen && <span className="site-sub">circuit open: nothing is placed here until a probe succeeds</span>}
                    </td>
                    <td>{site.healthReport.latencyMs == null ? '—' : `${site.healthReport.latencyMs} ms`}</td>
                    <td className="site-error">
                      {site.healthReport.lastError ?? 'none'}
                      {site.healthReport.consecutiveFailures > 0 && <span className="site-sub">{site.healthReport.consecutiveFailures} failed calls in a row</span>}
                      {site.healthReport.malformedReplies > 0 && (
                        <span className="site-sub">
                          {site.healthReport.malformedReplies} replies it could not read{site.healthReport.lastMalformedReply && `, last: ${site.healthReport.lastMalformedReply}`}
                        </span>
                      )}
                    </td>
                    <td>{site.draining ? `Draining since ${formatTime(site.drainingSince)}` : 'Taking placements'}</td>
                    <td>
                      {managesSite(me, site.institution) ? (
                        <SiteActions site={site} institutions={institutions} onSaved={setSaved} />
                      ) : (
                        <span className="muted">Managed by {site.institution}'s site admins</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CapacityAndUse sites={sites} me={me} />
      <section aria-labelledby="sites-register-heading">
        <h2 id="sites-register-heading">Register a site</h2>
        <details className="site-register">
          <summary>A new site, by form</summary>
          <SiteForm mode={{ kind: 'register', institutions }} onDone={(site) => setSaved(`Registered ${site.name}: ${site.health}${site.healthReport.lastError ? ` (${site.healthReport.lastError})` : ''}.`)} />
        </details>
      </section>
      <section aria-labelledby="sites-apply-heading">
        <h2 id="sites-apply-heading">Apply site descriptors</h2>
        <ApplyDescriptors />
      </section>
    </>
  );
}

const HEALTH_MEANS: Record<SiteHealth, string> = {
  HEALTHY: 'it answers',
  DEGRADED: 'it answers, but slowly, throttles, misses a zone or an instance type, or a call or two failed',
  DOWN: 'several failed calls in a row, or refused credentials; nothing is placed there until a probe succeeds',
  UNKNOWN: 'not probed yet',
};

function HealthBadge({ health }: { health: SiteHealth }) {
  return (
    <span className={`health health-${health.toLowerCase()}`}>
      {health}
    </span>
  );
}

function SiteActions({ site, institutions, onSaved }: { site: AdminSiteFragment; institutions: string[] | 'any'; onSaved: (message: string) => void }) {
  const [, drainSite] = useMutation(AdminDrainSiteDocument);
  const [resume, resumeSite] = useMutation(AdminResumeSiteDocument);
  return (
    <div className="site-actions">
      {site.draining ? (
        <Button className="button" aria-label={`Resume ${site.name}`} isDisabled={resume.fetching} onPress={() => void resumeSite({ id: site.id }).then((o) => !o.error && onSaved(`${site.name} takes placements again.`))}>
          Resume
        </Button>
      ) : (
        <ConfirmButton
          label="Drain"
          ariaLabel={`Drain ${site.name}`}
          title={`Drain ${site.name}?`}
          confirmLabel="Yes, drain it"
          cancelLabel="Keep it open"
          onConfirm={async () => {
            const outcome = await drainSite({ id: site.id });
            if (outcome.error) return describeError(outcome.error);
            onSaved(`${site.name} is draining: no new placements.`);
            return true;
          }}
        >
          <p>
            Nothing new is placed at {site.name}; what runs there finishes its lease. Requests that fit only there wait (<code>SITE_DRAINING</code>) until it is resumed.
          </p>
        </ConfirmButton>
      )}
      <DialogTrigger>
        <Button className="button" aria-label={`Edit settings of ${site.name}`}>
          Edit settings
        </Button>
        <Modal className="modal">
          <Dialog className="site-dialog">
            {({ close }) => (
              <>
                <div className="site-dialog-heading">
                  <Heading slot="title">Settings of {site.name}</Heading>
                  <Button className="button quiet" onPress={close}>
                    Close
                  </Button>
                </div>
                {site.emulated && <p className="hint">Served by the bundled emulator: its endpoint and credentials are the broker's own.</p>}
                <SiteForm
                  mode={{ kind: 'update', site, institutions }}
                  onDone={(saved) => {
                    onSaved(`Saved the settings of ${saved.name}: ${saved.health}.`);
                    close();
                  }}
                />
              </>
            )}
          </Dialog>
        </Modal>
      </DialogTrigger>
      {resume.error && (
        <span className="field-error" role="alert">
          {describeError(resume.error)}
        </span>
      )}
    </div>
  );
}

type Use = AdminSiteUseQuery['usageReport'][number];

/**
 * Capacity, and what was used of it. The API has no figure of what a site holds at this moment:
 * the measure it gives is the usage charged at each site (usage reports by site, charged every
 * minute), so use is shown as the last 24 hours' average against capacity.
 */
function CapacityAndUse({ sites, me }: { sites: AdminSiteFragment[]; me: Me }) {
  const period = useMemo(() => {
    const to = Date.now();
    return { from: new Date(to - DAY_MS).toISOString(), to: new Date(to).toISOString() };
  }, []);
  const [{ data, error }] = useQuery({ query: AdminSiteUseDocument, variables: period });
  const useOf = new Map<string, Use>((data?.usageReport ?? []).filter((row) => row.site).map((row) => [row.site!.id, row]));
  const federationAdmin = me.roles.some((grant) => grant.role === 'FEDERATION_ADMIN');
  const shown = sites.filter((site) => managesSite(me, site.institution));
  const average = (site: AdminSiteFragment) => {
    const use = useOf.get(site.id);
    return { vcpus: (use?.coreHours ?? 0) / 24, gpus: (use?.gpuHours ?? 0) / 24, instances: (use?.instanceHours ?? 0) / 24 };
  };
  const chart = shown.map((site) => ({ site: site.name, percent: round((average(site).vcpus / site.capacity.vcpus) * 100) }));
  return (
    <section aria-labelledby="sites-capacity-heading">
      <h2 id="sites-capacity-heading">Capacity and use</h2>
      <p className="hint">
        The API does not report what a site holds at this moment. Use here is what was charged at each site in the last 24 hours (charged every minute the instances run), as
        an average over the day: vCPU-hours ÷ 24 against the site's capacity.
        {!federationAdmin && " Other institutions' sites: their use is for their own admins to see."}
      </p>
      {error && <Problem>{describeError(error)}</Problem>}
      <ScrollTable label="Capacity table">
        <table className="site-table">
          <caption className="visually-hidden">Each site's capacity and its average use over the last 24 hours</caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Capacity</th>
              <th scope="col">Home share</th>
              <th scope="col">vCPUs in use (24 h average)</th>
              <th scope="col">GPUs in use (24 h average)</th>
              <th scope="col">Instances (24 h average)</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((site) => {
              const c = site.capacity;
              const mine = managesSite(me, site.institution);
              const avg = average(site);
              const notShown = <span className="muted">not shown to you</span>;
              return (
                <tr key={site.id}>
                  <th scope="row">{site.name}</th>
                  <td>
                    {c.vcpus} vCPUs, {formatMemory(c.memoryMiB)}, {c.gpus} GPUs, {c.instances == null ? 'any number of instances' : `at most ${c.instances} instances`}
                  </td>
                  <td>
                    {Math.round(site.homeShare * 100)} %{site.homeShare > 0 && (site.lendsHomeShare ? ', lent when unused' : ', kept')}
                  </td>
                  <td>{mine ? (data ? `${round(avg.vcpus)} of ${c.vcpus} (${round((avg.vcpus / c.vcpus) * 100)} %)` : '…') : notShown}</td>
                  <td>{mine ? (data ? (c.gpus > 0 ? `${round(avg.gpus)} of ${c.gpus}` : `${round(avg.gpus)} (the site lends no GPUs)`) : '…') : notShown}</td>
                  <td>{mine ? (data ? (c.instances == null ? `${round(avg.instances)}` : `${round(avg.instances)} of ${c.instances}`) : '…') : notShown}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollTable>
      {data && shown.length > 0 && !chart.some((bar) => bar.percent > 0) && <p>Nothing was charged at {federationAdmin ? 'any site' : 'your sites'} in the last 24 hours.</p>}
      {data && chart.some((bar) => bar.percent > 0) && (
        <figure className="chart">
          <figcaption>vCPUs in use over the last 24 hours, % of each site's capacity</figcaption>
          <ResponsiveContainer width="100%" height={200}>
            <BarChart data={chart} accessibilityLayer>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="site" />
              <YAxis domain={[0, 100]} unit=" %" width={56} />
              <Tooltip />
              <Bar dataKey="percent" name="vCPUs in use (%)" fill="#2f6db5" />
            </BarChart>
          </ResponsiveContainer>
        </figure>
      )}
    </section>
  );
}

const round = (n: number) => Math.round(n * 10) / 10;
