import type { InstanceView, RequestEventView, ResourceRequestView, TagView } from './dto/request.types.js';
import type { RequestEvent } from './entities/request-event.entity.js';
import type { ResourceRequest } from './entities/resource-request.entity.js';
import type { InstanceState } from './instance-state.js';
import type { RequestState } from './request-state.js';

/** Sorted by key, as the API promises. */
function tagViewsOf(tags: Record<string, string>): TagView[] {
  return Object.entries(tags)
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

export function toRequestView(r: ResourceRequest): ResourceRequestView {
  return {
    id: r.id,
    projectId: r.projectId,
    state: r.state,
    reason: r.reason,
    reasonCode: r.reasonCode,
    image: r.image,
    vcpus: r.vcpus,
    memoryMiB: r.memoryMib,
    gpus: r.gpus,
    count: r.count,
    minCount: r.minCount,
    leaseHours: r.leaseHours,
    sites: r.sites,
    requirements: r.requirements,
    preferredSites: r.preferredSites,
    spanSites: r.spanSites,
    tags: tagViewsOf(r.tags),
    leaseEndsAt: r.leaseEndsAt,
    createdAt: r.createdAt,
  };
}

/**
 * A timestamp as whole milliseconds since 1970, as a Date holds it (truncated, as pg's own
 * parsing truncates): a page holds hundreds of timestamps, and `new Date(ms)` costs a fraction of
 * parsing PostgreSQL's text form (about a tenth of a page's time).
 */
const epochMs = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

const dateOf = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/**
 * The columns a request's view shows, read with plain SQL where pages of them are listed: the
 * rest of the row (the user-data of up to 16 KB above all) stays in the database.
 */
export const REQUEST_VIEW_COLUMNS =
  'r.id, r.project_id, r.state, r.reason, r.reason_code, r.image, r.vcpus, r.memory_mib, r.gpus, r.count, r.min_count, r.lease_hours, ' +
  `r.sites, r.requirements, r.preferred_sites, r.span_sites, r.tags, ${epochMs('r.lease_ends_at')} AS lease_ends_at, ${epochMs('r.created_at')} AS created_at`;

export interface RequestViewRow {
  id: string;
  project_id: string;
  state: RequestState;
  reason: string | null;
  reason_code: string | null;
  image: string;
  vcpus: number;
  memory_mib: number;
  gpus: number;
  count: number;
  min_count: number;
  /** `numeric`, which pg reads as text so that no digit is lost */
  lease_hours: string;
  sites: string[] | null;
  requirements: string[];
  preferred_sites: string[];
  span_sites: boolean;
  tags: Record<string, string>;
  lease_ends_at: number | null;
  created_at: number;
}

export function requestViewOfRow(r: RequestViewRow): ResourceRequestView {
  return {
    id: r.id,
    projectId: r.project_id,
    state: r.state,
    reason: r.reason,
    reasonCode: r.reason_code,
    image: r.image,
    vcpus: r.vcpus,
    memoryMiB: r.memory_mib,
    gpus: r.gpus,
    count: r.count,
    minCount: r.min_count,
    leaseHours: Number(r.lease_hours),
    sites: r.sites,
    requirements: r.requirements,
    preferredSites: r.preferred_sites,
    spanSites: r.span_sites,
    tags: tagViewsOf(r.tags),
    leaseEndsAt: dateOf(r.lease_ends_at),
    createdAt: new Date(r.created_at),
  };
}

/** The columns of an instance's view, and its request's id (`i` is the instance). */
export const INSTANCE_VIEW_COLUMNS =
  'i.id, i.request_id, i.site_id, i.instance_type, i.site_instance_id, i.state, i.private_ip, i.public_ip, ' +
  `${epochMs('i.lease_ends_at')} AS lease_ends_at, ${epochMs('i.started_at')} AS started_at, ${epochMs('i.ended_at')} AS ended_at, i.borrowed`;

/** An instance's view with the request it belongs to, read with plain SQL (see RequestsService.instanceViewsOf). */
export interface InstanceViewRow {
  id: string;
  request_id: string;
  site_id: string;
  instance_type: string;
  site_instance_id: string | null;
  state: InstanceState;
  private_ip: string | null;
  public_ip: string | null;
  lease_ends_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  borrowed: boolean;
}

export function instanceViewOfRow(i: InstanceViewRow): InstanceView & { requestId: string } {
  return {
    id: i.id,
    requestId: i.request_id,
    siteId: i.site_id,
    instanceType: i.instance_type,
    siteInstanceId: i.site_instance_id,
    state: i.state,
    privateIp: i.private_ip,
    publicIp: i.public_ip,
    leaseEndsAt: dateOf(i.lease_ends_at),
    startedAt: dateOf(i.started_at),
    endedAt: dateOf(i.ended_at),
    borrowed: i.borrowed,
  };
}

export function toRequestEventView(e: RequestEvent): RequestEventView {
  return {
    at: e.at,
    kind: e.kind,
    fromState: e.fromState,
    toState: e.toState,
    reason: e.reason,
    reasonCode: e.reasonCode,
    instanceId: e.instanceId,
    siteId: e.siteId,
  };
}
