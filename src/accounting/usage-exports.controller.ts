import { Controller, Get, Header, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '../common/errors.js';
import { AuthService } from '../identity/auth.service.js';
import type { Principal } from '../identity/principal.js';
import { UsageExports } from './usage-exports.js';
import { USAGE_GROUPINGS, type UsageGrouping } from './usage-reports.js';

/** A refusal of the export's query string, as 400 and one line of text naming the parameter. */
class ExportQueryError extends Error {}

function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ExportQueryError(`${name}: give it once`);
  return value;
}

function dateParam(req: Request, name: string): Date {
  const text = single(req, name);
  if (text === undefined || text === '') throw new ExportQueryError(`${name}: missing (an ISO 8601 date and time, such as 2026-11-01T00:00:00Z)`);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new ExportQueryError(`${name}: "${text}" is not an ISO 8601 date and time`);
  return date;
}

function groupByParam(req: Request): UsageGrouping[] {
  const text = single(req, 'groupBy') ?? '';
  return text
    .split(',')
    .map((g) => g.trim().toUpperCase())
    .filter((g) => g !== '')
    .map((g) => {
      if (!(USAGE_GROUPINGS as readonly string[]).includes(g)) throw new ExportQueryError(`groupBy: "${g}" is not one of ${USAGE_GROUPINGS.map((n) => n.toLowerCase()).join(', ')}`);
      return g as UsageGrouping;
    });
}

/**
 * The usage exports over plain HTTP, for spreadsheets and for EGI's accounting: the same
 * permissions as usageReport, with the bearer token or the portal's session cookie.
 */
@Controller('accounting')
export class UsageExportsController {
  constructor(
    private readonly auth: AuthService,
    private readonly exports: UsageExports,
  ) {}

  /** `?from=&to=&groupBy=project,site&projectId=`: a header row and one row per group. */
  @Get('usage.csv')
  @Header('Cache-Control', 'no-store')
  async usageCsv(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.answer(req, res, async (principal) => {
      const csv = await this.exports.csv(principal, { from: dateParam(req, 'from'), to: dateParam(req, 'to'), groupBy: groupByParam(req), projectId: single(req, 'projectId') ?? null });
      res.type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="skypool-usage.csv"').send(csv);
    });
  }

  /**
   * `?from=&to=&page=`: one `APEL-cloud-message: v0.4` of at most 100 records; a `Link` header
   * with rel="next" names the next page while there is one.
   */
  @Get('apel')
  @Header('Cache-Control', 'no-store')
  async apel(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.answer(req, res, async (principal) => {
      const from = dateParam(req, 'from');
      const to = dateParam(req, 'to');
      const pageText = single(req, 'page') ?? '1';
      const page = /^[1-9]\d{0,5}$/.test(pageText) ? Number(pageText) : NaN;
      if (Number.isNaN(page)) throw new ExportQueryError(`page: "${pageText}" is not a page number (1, 2, ...)`);
      const { message, pages } = await this.exports.apel(principal, from, to, page);
      if (message === null) throw new ExportQueryError(`page: there are ${pages} pages`);
      if (page < pages) {
        const next = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), page: String(page + 1) });
        res.set('Link', `</accounting/apel?${next.toString()}>; rel="next"`);
      }
      res.type('text/plain; charset=utf-8').send(message);
    });
  }

  /** Authenticates (401 without credentials), lets a scoped token through only if it may use usageReport, and turns refusals into 400/403 text. */
  private async answer(req: Request, res: Response, work: (principal: Principal) => Promise<void>): Promise<void> {
    const authentication = await this.auth.authenticate({ authorization: req.headers.authorization, cookie: req.headers.cookie });
    if (!authentication.principal) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="skypool"').type('text/plain').send(`${authentication.problem}\n`);
      return;
    }
    const { principal } = authentication;
    if (principal.operations && !principal.operations.includes('usageReport')) {
      res.status(403).type('text/plain').send('this token may not read usage: it is limited to other operations (usageReport is needed)\n');
      return;
    }
    try {
      await work(principal);
    } catch (err) {
      if (err instanceof ExportQueryError) res.status(400).type('text/plain').send(`${err.message}\n`);
      else if (err instanceof DomainError) res.status(err.code === 'BAD_USER_INPUT' ? 400 : 403).type('text/plain').send(`${err.message}\n`);
      else throw err;
    }
  }
}
