import { useQuery } from 'urql';
import { describeError } from '../api/client';
import { PlanRequestDocument, type SubmitRequestInput } from '../api/generated';
import { Verdicts } from '../components/verdicts';
import { formatHours } from '../format';

/**
 * What the broker would do with the form as it stands (planRequest, which changes nothing): the
 * sites it would use in rank order, the limit that binds, what it costs, and why it would wait.
 */
export function PlanPreview({ input, coreHoursLeft }: { input: SubmitRequestInput | undefined; coreHoursLeft: number | null | undefined }) {
  const [{ data, error, fetching }] = useQuery({ query: PlanRequestDocument, variables: { input: input! }, pause: !input, requestPolicy: 'network-only' });
  const plan = data?.planRequest;
  return (
    <section className="preview" aria-labelledby="preview-heading" aria-live="polite" aria-busy={fetching}>
      <h2 id="preview-heading">Preview</h2>
      {!input && <p>Fill in the form to see where the request would run.</p>}
      {input && error && <p className="problem">{describeError(error)}</p>}
      {input && plan && (
        <>
          <p className={plan.feasible ? 'verdict-fits' : 'verdict-waits'}>
            {plan.feasible ? `Would start now on ${plan.candidates[0]?.site.name ?? 'a site'}.` : `Would wait: ${plan.reason ?? 'no site can take it now'}.`}
          </p>
          {plan.candidates.length > 0 && (
            <ol className="candidates" aria-label="Where it would start, best first">
              {plan.candidates.map((c) => (
                <li key={`${c.site.id}-${c.instanceType}`}>
                  <strong>{c.site.name}</strong>: {c.count} × {c.instanceType}
                  {c.borrowed && ' (borrowed from another institution)'}
                </li>
              ))}
            </ol>
          )}
          <dl className="facts">
            <dt>Binding limit</dt>
            <dd>{plan.bindingLimit ?? 'none'}</dd>
            <dt>Estimated core-hours</dt>
            <dd>{formatHours(plan.estimatedCoreHours)}</dd>
            {plan.estimatedGpuHours > 0 && (
              <>
                <dt>Estimated GPU-hours</dt>
                <dd>{formatHours(plan.estimatedGpuHours)}</dd>
              </>
            )}
            <dt>Budget after</dt>
            <dd>{coreHoursLeft === null || coreHoursLeft === undefined ? 'no core-hour budget' : `${formatHours(coreHoursLeft - plan.estimatedCoreHours)} core-hours`}</dd>
          </dl>
          <Verdicts verdicts={plan.explain} caption="How each site stands" />
        </>
      )}
    </section>
  );
}
