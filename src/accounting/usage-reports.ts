import { Injectable } from '@nestjs/common';
import { ProjectsService } from '../allocations/projects.service.js';
import { isUuid } from '../common/validation.js';
import { Db } from '../database/db.js';
import { AccessPolicy } from '../identity/access-policy.js';
import { IdentityError, IdentityErrorCode } from '../identity/identity.errors.js';
import type { Principal } from '../identity/principal.js';
import { SitesService } from '../sites/sites.service.js';
import { windowsOf, type Window } from './usage-periods.js';

/** What a usage report may be grouped by (api-contract.md, "Accounting"); INSTITUTION is the project's: who used it. */
export const USAGE_GROUPINGS = ['PROJECT', 'SITE', 'INSTITUTION', 'MONTH', 'IMAGE', 'INSTANCE_TYPE'] as const;
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number];

/** The column of the cut records each grouping reads. */
const GROUP_COLUMNS: Record<UsageGrouping, string> = {
  PROJECT: 'project_id',
  SITE: 'site_id',
  INSTITUTION: 'project_institution',
  MONTH: 'month',
  IMAGE: 'image',
  INSTANCE_TYPE: 'instance_type',
};

/** One row of a report: the groups it is for (null where not grouped by) and whole unit-minutes. */
export interface UsageTotals {
  projectId: string | null;
  siteId: string | null;
  institution: string | null;
  month: string | null;
  image: string | null;
  instanceType: string | null;
  vcpuMinutes: number;
  gpuMinutes: number;
  instanceMinutes: number;
  instances: number;
}

export interface InstitutionBalanceTotals {
  institution: string;
  lentVcpuMinutes: number;
  borrowedVcpuMinutes: number;
}

/** An instance that ran in one month of a period, with what it was and whose. */
export interface InstanceMonth {
  instanceId: string;
  projectId: string;
  siteId: string;
  month: string | null;
  image: string;
  vcpus: number;
  memoryMib: number;
}

export interface UsageQuery {
  from: Date;
  to: Date;
  groupBy: UsageGrouping[];
  projectId?: string | null;
}

type Row = Record<string, string | number | null>;

/**
 * Usage reports from the ledger (usage_record): each record is a stretch of an instance's charged
 * minutes, so a period counts exactly the minutes that start inside it, whatever it cuts.
 * Figures are whole unit-minutes here; the API turns them into hours at its edge.
 */
@Injectable()
export class UsageReports {
  constructor(
    private readonly db: Db,
    private readonly projects: ProjectsService,
    private readonly sites: SitesService,
  ) {}

  /** Rows per group, in the order of the groups; with no grouping, one row of totals. */
  async report(principal: Principal, query: UsageQuery): Promise<UsageTotals[]> {
    const groupBy = [...new Set(query.groupBy)];
    await this.checkProject(principal, query.projectId);
    const params: unknown[] = [];
    const cut = this.cut(params, windowsOf(query.from, query.to, groupBy.includes('MONTH')), principal, query.projectId);
    const columns = groupBy.map((g) => GROUP_COLUMNS[g]);
    const groupList = columns.length > 0 ? columns.join(', ') : '()';
    const rows: Row[] = await this.db.manager.query(
      `${cut}
       SELECT ${columns.map((c) => `${c}, `).join('')}
              coalesce(sum(minutes * vcpus), 0) AS vcpu_minutes, coalesce(sum(minutes * gpus), 0) AS gpu_minutes,
              coalesce(sum(minutes), 0) AS instance_minutes, count(DISTINCT instance_id) AS instances
         FROM cut GROUP BY ${groupList}${columns.length > 0 ? ` ORDER BY ${groupList}` : ''}`,
      params,
    );
    return rows.map((row) => ({
      projectId: textOf(row.project_id),
      siteId: textOf(row.site_id),
      institution: textOf(row.project_institution),
      month: textOf(row.month),
      image: textOf(row.image),
      instanceType: textOf(row.instance_type),
      vcpuMinutes: Number(row.vcpu_minutes),
      gpuMinutes: Number(row.gpu_minutes),
      instanceMinutes: Number(row.instance_minutes),
      instances: Number(row.instances),
    }));
  }

  /**
   * Per institution: the vCPU-minutes its sites gave to other institutions' projects, and those
   * its projects used at other institutions' sites. Every institution with a site or a project is
   * listed, also at zero.
   */
  async balance(from: Date, to: Date): Promise<InstitutionBalanceTotals[]> {
    const params: unknown[] = [];
    const cut = this.cut(params, windowsOf(from, to, false), 'all', null);
    const rows: Row[] = await this.db.manager.query(
      `${cut}, crossing AS (SELECT * FROM cut WHERE site_institution <> project_institution)
       SELECT institution, sum(lent) AS lent, sum(borrowed) AS borrowed FROM (
         SELECT site_institution AS institution, minutes * vcpus AS lent, 0 AS borrowed FROM crossing
         UNION ALL
         SELECT project_institution, 0, minutes * vcpus FROM crossing
       ) AS sides GROUP BY institution`,
      params,
    );
    const totals = new Map(rows.map((r) => [String(r.institution), { lent: Number(r.lent), borrowed: Number(r.borrowed) }]));
    const known = new Set([...(await this.sites.list({ includeRemoved: true })).map((s) => s.institution), ...(await this.projects.institutions()), ...totals.keys()]);
    return [...known].sort().map((institution) => ({
      institution,
      lentVcpuMinutes: totals.get(institution)?.lent ?? 0,
      borrowedVcpuMinutes: totals.get(institution)?.borrowed ?? 0,
    }));
  }

  /**
   * One page of the instances that ran in each month of the period (the APEL records), oldest
   * month first, and how many there are in all: a page costs what it holds, not the whole period.
   */
  async instancesByMonth(principal: Principal, from: Date, to: Date, page: { offset: number; limit: number }): Promise<{ rows: InstanceMonth[]; total: number }> {
    const params: unknown[] = [];
    const cut = this.cut(params, windowsOf(from, to, true), principal, null);
    const grouped = `${cut}
       SELECT instance_id, project_id, site_id, month, min(image) AS image, max(vcpus) AS vcpus, max(memory_mib) AS memory_mib
         FROM cut GROUP BY instance_id, project_id, site_id, month`;
    const rows: Row[] = await this.db.manager.query(
      `${grouped} ORDER BY month, instance_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    );
    // counted apart: a page past the last has no rows to carry a count
    const [{ total }]: { total: string }[] = await this.db.manager.query(`SELECT count(*) AS total FROM (${grouped}) AS machines`, params);
    return {
      total: Number(total),
      rows: rows.map((row) => ({
        instanceId: String(row.instance_id),
        projectId: String(row.project_id),
        siteId: String(row.site_id),
        month: textOf(row.month),
        image: String(row.image),
        vcpus: Number(row.vcpus),
        memoryMib: Number(row.memory_mib),
      })),
    };
  }

  /** A report for one project: refused when the caller sees neither the project nor any site's usage. */
  private async checkProject(principal: Principal, projectId: string | null | undefined): Promise<void> {
    if (projectId === null || projectId === undefined) return;
    const project = isUuid(projectId) ? await this.projects.find(projectId) : null;
    const seesSomeSite = principal.grants.some((g) => g.role === 'SITE_ADMIN');
    if (project && (AccessPolicy.canSeeProject(principal, project) || seesSomeSite)) return;
    if (!project && seesSomeSite) return;
    throw new IdentityError(IdentityErrorCode.NotProjectMember, 'you are not a member of that project');
  }

  /**
   * A `WITH cut AS (...)` of the records the principal may see, one row per record and window it
   * has minutes in: `minutes` counts the record's minutes that start inside the window (the
   * record's minutes start at period_start, period_start + 1 min, ...).
   */
  private cut(params: unknown[], windows: Window[], principal: Principal | 'all', projectId: string | null | undefined): string {
    const param = (value: unknown, type: string) => `$${params.push(value)}::${type}`;
    const starts = param(windows.map((w) => w.start), 'timestamptz[]');
    const ends = param(windows.map((w) => w.end), 'timestamptz[]');
    const months = param(windows.map((w) => w.month), 'text[]');
    const filters: string[] = [];
    const visible = principal === 'all' ? 'all' : AccessPolicy.visibleUsage(principal);
    if (visible !== 'all') {
      filters.push(
        `(r.project_id = ANY(${param(visible.projectIds.filter(isUuid), 'uuid[]')}) OR r.project_institution = ANY(${param(visible.projectInstitutions, 'text[]')}) OR r.site_institution = ANY(${param(visible.siteInstitutions, 'text[]')}))`,
      );
    }
    if (projectId) filters.push(isUuid(projectId) ? `r.project_id = ${param(projectId, 'uuid')}` : 'false');
    const slotsBefore = (moment: string) => `least(greatest(ceil(extract(epoch FROM ${moment} - r.period_start) / 60), 0), r.minutes)`;
    return `WITH windows AS (SELECT * FROM unnest(${starts}, ${ends}, ${months}) AS w(window_start, window_end, month)),
      cut AS (
        SELECT * FROM (
          SELECT r.instance_id, r.project_id, r.site_id, r.project_institution, r.site_institution, r.image, r.instance_type,
                 r.vcpus, r.gpus, r.memory_mib, w.month,
                 (${slotsBefore('w.window_end')} - ${slotsBefore('w.window_start')})::bigint AS minutes
            FROM usage_record r
            JOIN windows w ON r.period_start < w.window_end AND r.period_start + r.minutes * interval '1 minute' > w.window_start
           ${filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : ''}
        ) AS counted WHERE minutes > 0
      )`;
  }
}

function textOf(value: string | number | null | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}
