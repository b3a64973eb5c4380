import { Inject, Injectable } from '@nestjs/common';
import { ProjectsService } from '../allocations/projects.service.js';
import type { Clock } from '../common/clock.js';
import { CLOCK } from '../common/clock.provider.js';
import type { Principal } from '../identity/principal.js';
import { RequestsService } from '../requests/requests.service.js';
import { SitesService } from '../sites/sites.service.js';
import { csvCell } from './csv.js';
import { apelMessage, apelRecord, RECORDS_PER_MESSAGE, type ApelMachine } from './apel.js';
import { windowsOf } from './usage-periods.js';
import { USAGE_GROUPINGS, UsageReports, type UsageGrouping, type UsageQuery, type UsageTotals } from './usage-reports.js';

interface CsvColumn {
  name: string;
  cell: (row: UsageTotals) => string;
}

/** Hours in the CSV: minutes / 60 to 6 decimals (under 4 ms), so a spreadsheet's sums agree with the API's. */
const csvHours = (minutes: number) => String(Math.round((minutes / 60) * 1e6) / 1e6);

/** The usage report as CSV and the APEL cloud records: what people and EGI's accounting take away. */
@Injectable()
export class UsageExports {
  constructor(
    private readonly reports: UsageReports,
    private readonly projects: ProjectsService,
    private readonly sites: SitesService,
    private readonly requests: RequestsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A header row, then one row per group: the grouped columns (projects and sites by id and name), then the figures. */
  async csv(principal: Principal, query: UsageQuery): Promise<string> {
    const rows = await this.reports.report(principal, query);
    const grouped = new Set(query.groupBy);
    const projectNames = new Map((await this.projects.findByIds(rows.flatMap((r) => (r.projectId ? [r.projectId] : [])))).map((p) => [p.id, p.name]));
    const siteNames = new Map((await this.sites.findByIds(rows.flatMap((r) => (r.siteId ? [r.siteId] : [])))).map((s) => [s.id, s.name]));
    const column = (name: string, cell: (row: UsageTotals) => string): CsvColumn => ({ name, cell });
    const columnsOf: Record<UsageGrouping, CsvColumn[]> = {
      PROJECT: [column('project_id', (r) => r.projectId ?? ''), column('project', (r) => projectNames.get(r.projectId ?? '') ?? '')],
      SITE: [column('site_id', (r) => r.siteId ?? ''), column('site', (r) => siteNames.get(r.siteId ?? '') ?? '')],
      INSTITUTION: [column('institution', (r) => r.institution ?? '')],
      MONTH: [column('month', (r) => r.month ?? '')],
      IMAGE: [column('image', (r) => r.image ?? '')],
      INSTANCE_TYPE: [column('instance_type', (r) => r.instanceType ?? '')],
    };
    const columns = [
      ...USAGE_GROUPINGS.filter((g) => grouped.has(g)).flatMap((g) => columnsOf[g]),
      column('core_hours', (r) => csvHours(r.vcpuMinutes)),
      column('gpu_hours', (r) => csvHours(r.gpuMinutes)),
      column('instance_hours', (r) => csvHours(r.instanceMinutes)),
      column('instances', (r) => String(r.instances)),
    ];
    const lines = [columns.map((c) => c.name), ...rows.map((row) => columns.map((c) => csvCell(c.cell(row))))];
    return lines.map((cells) => `${cells.join(',')}\r\n`).join('');
  }

  /**
   * Page `page` (from 1) of the APEL records of the machines that ran in [from, to): one record
   * per machine and month, `perPage` (100, as cASO sends them) to a message; with how many pages
   * there are (at least 1: no records is one message with none).
   */
  async apel(principal: Principal, from: Date, to: Date, page: number, perPage = RECORDS_PER_MESSAGE): Promise<{ message: string | null; pages: number }> {
    const { rows: usage, total } = await this.reports.instancesByMonth(principal, from, to, { offset: (page - 1) * perPage, limit: perPage });
    const pages = Math.max(1, Math.ceil(total / perPage));
    if (page > pages) return { message: null, pages };
    const windowEnds = new Map(windowsOf(from, to, true).map((w) => [w.month, w.end]));
    const instances = new Map((await this.requests.instancesByIds([...new Set(usage.map((u) => u.instanceId))])).map((i) => [i.id, i]));
    const requests = new Map((await this.requests.findMany([...new Set([...instances.values()].map((i) => i.requestId))])).map((r) => [r.id, r]));
    const sites = new Map((await this.sites.findByIds([...new Set(usage.map((u) => u.siteId))])).map((s) => [s.id, s]));
    const projects = new Map((await this.projects.findByIds([...new Set(usage.map((u) => u.projectId))])).map((p) => [p.id, p]));
    const now = this.clock.now();
    const records = usage.flatMap((u) => {
      const instance = instances.get(u.instanceId);
      const site = sites.get(u.siteId);
      if (!instance?.startedAt || !site) return [];
      const machine: ApelMachine = {
        instanceId: instance.id,
        siteName: site.name,
        cloudComputeService: hostOf(site.endpoint),
        machineName: instance.siteInstanceId ?? instance.id,
        submittedBy: requests.get(instance.requestId)?.submittedBy ?? 'None',
        projectId: u.projectId,
        projectName: projects.get(u.projectId)?.name ?? u.projectId,
        image: u.image,
        vcpus: u.vcpus,
        memoryMib: u.memoryMib,
        publicIpCount: instance.publicIp ? 1 : 0,
        startedAt: instance.startedAt,
        endedAt: instance.endedAt,
        windowEnd: windowEnds.get(u.month)!,
      };
      return [apelRecord(machine, now)];
    });
    return { message: apelMessage(records), pages };
  }
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
