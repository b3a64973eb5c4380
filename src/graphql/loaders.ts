import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { AllocationsService } from '../allocations/allocations.service.js';
import type { Allocation } from '../allocations/entities/allocation.entity.js';
import type { Project } from '../allocations/entities/project.entity.js';
import { groupBy } from '../common/group-by.js';
import { ProjectsService } from '../allocations/projects.service.js';
import type { RequestEvent } from '../requests/entities/request-event.entity.js';
import { RequestsService } from '../requests/requests.service.js';
import type { InstanceView, SiteVerdictView } from '../requests/dto/request.types.js';
import type { Site } from '../sites/entities/site.entity.js';
import { SitesService } from '../sites/sites.service.js';

function byKey<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): (T | undefined)[] {
  const map = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => map.get(k));
}

function groupByKey<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): T[][] {
  const groups = groupBy(rows, keyOf);
  return keys.map((k) => groups.get(k) ?? []);
}

/**
 * Per-GraphQL-request batching, so a page of 1000 requests with their instances costs a few
 * queries. A subscription's operation lives on, so there each result reads afresh (`cache: false`).
 */
export interface Loaders {
  site: DataLoader<string, Site | undefined>;
  project: DataLoader<string, Project | undefined>;
  instancesOfRequest: DataLoader<string, InstanceView[]>;
  eventsOfRequest: DataLoader<string, RequestEvent[]>;
  allocationsOfProject: DataLoader<string, Allocation[]>;
  /** A page of requests is explained in one pass over the federation's state. */
  explainOfRequest: DataLoader<string, SiteVerdictView[]>;
}

@Injectable()
export class LoadersFactory {
  constructor(
    private readonly sites: SitesService,
    private readonly projects: ProjectsService,
    private readonly requests: RequestsService,
    private readonly allocations: AllocationsService,
  ) {}

  create(options: { cache?: boolean } = {}): Loaders {
    return {
      site: new DataLoader(async (ids) => byKey(ids, await this.sites.findByIds(ids), (s) => s.id), options),
      project: new DataLoader(async (ids) => byKey(ids, await this.projects.findByIds(ids), (p) => p.id), options),
      instancesOfRequest: new DataLoader(async (ids) => groupByKey(ids, await this.requests.instanceViewsOf(ids), (i) => i.requestId), options),
      eventsOfRequest: new DataLoader(async (ids) => groupByKey(ids, await this.requests.eventsOf(ids), (e) => e.requestId), options),
      allocationsOfProject: new DataLoader(async (ids) => groupByKey(ids, await this.allocations.listForProjects(ids), (a) => a.projectId), options),
      explainOfRequest: new DataLoader((ids) => this.requests.explainMany(ids), options),
    };
  }
}
