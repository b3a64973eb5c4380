import { Injectable } from '@nestjs/common';
import { Db } from '../database/db.js';
import type { Principal } from '../identity/principal.js';
import { AllocationsService } from './allocations.service.js';
import { Project } from './entities/project.entity.js';
import { ProjectsService } from './projects.service.js';

/** Who makes the demo project, in the audit log: the broker, as its configuration asks. */
const DEMO_PRINCIPAL: Principal = { id: 'system:demo-project', kind: 'system', name: 'demo project (SKYPOOL_DEMO_PROJECT)', grants: [{ role: 'FEDERATION_ADMIN' }] };

/**
 * The demo federation's project (SKYPOOL_DEMO_PROJECT): on a broker with no project yet, a project
 * `demo` at the University of Michigan (a demo site's institution) with an allocation, so that
 * whoever opens the portal after `npm start` can ask for a VM at once. A broker that has projects
 * is left as it is.
 */
@Injectable()
export class DemoProject {
  constructor(
    private readonly db: Db,
    private readonly projects: ProjectsService,
    private readonly allocations: AllocationsService,
  ) {}

  async ensure(): Promise<void> {
    if ((await this.db.manager.getRepository(Project).count()) > 0) return;
    const project = await this.projects.create(DEMO_PRINCIPAL, { name: 'demo', institution: 'University of Michigan' });
    await this.allocations.grant(DEMO_PRINCIPAL, { projectId: project.id, vcpus: 32, memoryMiB: 65536, gpus: 1, instances: 8, coreHours: 1000, gpuHours: 100 });
  }
}
