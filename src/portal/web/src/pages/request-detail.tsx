import { useEffect, useState } from 'react';
import { Button, Form } from 'react-aria-components';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useSubscription } from 'urql';
import { describeError, isNotFound } from '../api/client';
import { CancelRequestDocument, ExtendLeaseDocument, RequestDetailDocument, RequestUpdatedDocument, type RequestFullFragment } from '../api/generated';
import { ConfirmButton } from '../components/confirm-button';
import { TextInput } from '../components/fields';
import { ScrollTable } from '../components/scroll-table';
import { StateBadge } from '../components/state-badge';
import { Loading, Problem } from '../components/status';
import { Verdicts } from '../components/verdicts';
import { formatMemory, formatTime, loginUserOf } from '../format';

const WAITING = ['PENDING', 'QUEUED'];
const ENDED = ['TERMINATED', 'EXPIRED', 'CANCELLED', 'FAILED'];

/** One request, kept live: its state, why it waits, its instances and how to reach them, its history. */
export default function RequestDetail() {
  const { id = '' } = useParams();
  const [{ data, error, fetching }, refresh] = useQuery({ query: RequestDetailDocument, variables: { id } });
  // the request as it is now, then again after each change, until it ends
  const [{ data: live }] = useSubscription({ query: RequestUpdatedDocument, variables: { id } });
  const request: RequestFullFragment | undefined = live?.requestUpdated ?? data?.resourceRequest ?? undefined;
  const state = request?.state;
  // why it waits changes with the federation: read it again at each change of the request
  useEffect(() => {
    if (live) refresh({ requestPolicy: 'network-only' });
  }, [live, refresh]);

  if (error && !isNotFound(error)) return <Problem>{describeError(error)}</Problem>;
  if (fetching && !data) return <Loading what="the request" />;
  if (!request || !state) {
    return (
      <>
        <h1>Request not found</h1>
        <p>
          No request <code>{id}</code> that you may see. <Link to="/requests">Your requests</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <div className="page-heading">
        <h1>
          {request.image} <span className="id">{request.id.slice(0, 8)}</span>
        </h1>
        <StateBadge state={state} />
      </div>
      <p className="summary">
        {request.count} × {request.vcpus} vCPU, {formatMemory(request.memoryMiB)}
        {request.gpus > 0 && `, ${request.gpus} GPU`} for {request.project.name}; lease {request.leaseHours} h
        {request.leaseEndsAt && `, ends ${formatTime(request.leaseEndsAt)}`}.
      </p>
      {request.reason && (
        <p className={WAITING.includes(state) ? 'verdict-waits' : 'reason'}>
          {WAITING.includes(state) ? 'Waiting: ' : ''}
          {request.reason}
        </p>
      )}
      <Actions request={request} />
      {WAITING.includes(state) && data?.resourceRequest && <Verdicts verdicts={data.resourceRequest.explain} caption="Why it waits: how each site stands" />}
      <Instances request={request} />
      <Timeline request={request} />
    </>
  );
}

function Actions({ request }: { request: RequestFullFragment }) {
  const [hours, setHours] = useState('4');
  const [extension, extend] = useMutation(ExtendLeaseDocument);
  const [, cancel] = useMutation(CancelRequestDocument);
  const [extended, setExtended] = useState(false);
  if (ENDED.includes(request.state) || request.state === 'TERMINATING') return null;
  return (
    <section className="actions" aria-label="Actions">
      {request.state === 'RUNNING' && (
        <Form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void extend({ id: request.id, hours: Number(hours) }).then((outcome) => setExtended(!outcome.error));
          }}
        >
          <TextInput label="Extend lease by (hours)" value={hours} onChange={(value) => (setHours(value), setExtended(false))} inputMode="decimal" error={extension.error && describeError(extension.error)} />
          <Button type="submit" className="button" isDisabled={extension.fetching}>
            Extend lease
          </Button>
          {extended && <span role="status">Lease extended.</span>}
        </Form>
      )}
      <ConfirmButton
        label="Cancel request"
        title="Cancel this request?"
        confirmLabel="Yes, cancel it"
        onConfirm={async () => {
          const outcome = await cancel({ id: request.id });
          return outcome.error ? describeError(outcome.error) : true;
        }}
      >
        <p>Its instances are terminated and what they ran is gone.</p>
      </ConfirmButton>
    </section>
  );
}

function Instances({ request }: { request: RequestFullFragment }) {
  if (request.instances.length === 0) return null;
  return (
    <section aria-labelledby="instances-heading">
      <h2 id="instances-heading">Instances</h2>
      <ScrollTable label="Instances and how to reach them">
        <table>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">State</th>
              <th scope="col">Type</th>
              <th scope="col">Address</th>
              <th scope="col">Connect</th>
            </tr>
          </thead>
          <tbody>
            {request.instances.map((instance) => {
              const address = instance.publicIp ?? instance.privateIp;
              return (
                <tr key={instance.id}>
                  <td>{instance.site.name}</td>
                  <td>
                    <StateBadge state={instance.state} />
                  </td>
                  <td>{instance.instanceType}</td>
                  <td>{address ?? '—'}</td>
                  <td>{address && instance.state === 'RUNNING' ? <SshCommand command={`ssh ${loginUserOf(request.image)}@${address}`} /> : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollTable>
    </section>
  );
}

function SshCommand({ command }: { command: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="ssh">
      <code>{command}</code>
      <Button className="button quiet" aria-label={`Copy ${command}`} onPress={() => void navigator.clipboard.writeText(command).then(() => setCopied(true))}>
        {copied ? 'Copied' : 'Copy'}
      </Button>
    </span>
  );
}

function Timeline({ request }: { request: RequestFullFragment }) {
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol className="timeline">
        {request.events.map((event, i) => (
          <li key={i}>
            <time dateTime={event.at}>{formatTime(event.at)}</time>{' '}
            {event.toState ? (
              <>
                {event.instanceId ? `instance on ${event.site?.name ?? 'a site'}` : 'request'} {event.fromState ? `${event.fromState} → ` : ''}
                <strong>{event.toState}</strong>
              </>
            ) : (
              <strong>{event.kind}</strong>
            )}
            {event.reason && `: ${event.reason}`}
          </li>
        ))}
      </ol>
    </section>
  );
}
