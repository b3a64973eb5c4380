import { Controller, Get, Header, Headers, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CONFIG, type Config } from '../config/config.js';
import { DEPLOYMENT, type DeploymentIdentity } from '../database/deployment.service.js';
import { MetricsRegistry } from './metrics.js';

const DATABASE_CHECK_TIMEOUT_MS = 3000;

@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsRegistry,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(DEPLOYMENT) private readonly deployment: DeploymentIdentity,
  ) {}

  /** 200 when the database answers, 503 otherwise. */
  @Get('healthz')
  async health(@Res() res: Response): Promise<void> {
    const database = this.config.DATABASE_URL ? 'postgresql' : 'embedded';
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${DATABASE_CHECK_TIMEOUT_MS} ms`)), DATABASE_CHECK_TIMEOUT_MS);
      });
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]).finally(() => clearTimeout(timer));
      res.status(200).json({ status: 'ok', database, broker: this.deployment.id });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', database, error: `the database does not answer: ${(err as Error).message}` });
    }
  }

  /** Prometheus text; with SKYPOOL_METRICS_TOKEN set, only for `Authorization: Bearer <it>`. */
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metricsText(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    if (this.config.SKYPOOL_METRICS_TOKEN && !sameToken(authorization, this.config.SKYPOOL_METRICS_TOKEN)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('/metrics needs Authorization: Bearer <SKYPOOL_METRICS_TOKEN>\n');
      return;
    }
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}

/** `Bearer <token>`, compared in constant time (hashes first, so the lengths match). */
function sameToken(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}
