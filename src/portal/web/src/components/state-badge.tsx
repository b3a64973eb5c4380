import type { RequestState } from '../api/generated';

/** A request's state in the API's own words (RUNNING, QUEUED, ...), coloured by how it stands. */
export function StateBadge({ state }: { state: RequestState | string }) {
  return <span className={`state state-${state.toLowerCase()}`}>{state}</span>;
}
