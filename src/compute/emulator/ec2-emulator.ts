import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../common/clock.js';
import { actionFor } from './ec2-actions.js';
import { Ec2ApiError } from './ec2-api-error.js';
import type { EmulatedFaults } from './ec2-faults.js';
import { newRequestId } from './ec2-ids.js';
import { QueryParams } from './ec2-query.js';
import { renderError, renderResponse } from './ec2-xml.js';
import { EmulatedSite, type EmulatedInstance, type EmulatedSiteSpec } from './emulated-site.js';
import { emptySiteState, loadState, saveState, type StoredEmulatorState, type StoredSiteState } from './emulator-state.js';
import { verifySigV4 } from './sigv4-check.js';

export interface Ec2EmulatorOptions {
  /** Drives the instance lifecycle (pending -> running, terminated instances vanishing). Default: the system clock. */
  clock?: Clock;
  /**
   * When set, instances and ClientTokens are loaded from this JSON file and written back after
   * every change; a call that changed them is answered only once they are on disk.
   */
  stateFile?: string;
  /** A prefix to strip from request paths when the emulator serves them itself, e.g. `/emulator`. */
  basePath?: string;
  /** Decides which calls the `errorRate` fault fails (a call fails when it returns less than the rate) and each call's `latencyJitterMs`. Default Math.random. */
  random?: () => number;
  /**
   * Who may read the instance listing (`GET <base>/<site>/instances`), from the request's
   * Authorization header, e.g. `bearerToken(adminToken)`. Unset: nobody.
   */
  authorizeListing?: ListingAuthorizer;
}

export type ListingAuthorizer = (authorization: string | undefined) => boolean | Promise<boolean>;

/** A listing authorizer that takes `Authorization: Bearer <token>`, compared in constant time. */
export function bearerToken(token: string): ListingAuthorizer {
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const given = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
    return given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
}

/** One EC2 API call on its way through the emulator. */
export interface Ec2CallContext {
  requestId: string;
  site: EmulatedSite;
  action: string;
  params: QueryParams;
}

/** What goes back to the client: an HTTP status and an XML body, or (a fault) no answer at all. */
export type Ec2CallOutcome = { status: number; body: string } | { dropConnection: true };

const MAX_BODY_BYTES = 1024 * 1024;
const XML = 'text/xml;charset=UTF-8';

/**
 * A test double of EC2-compatible clouds: speaks the EC2 Query API the way `@aws-sdk/client-ec2`
 * sends it (POST, form-urlencoded, SigV4-signed) and answers in EC2's XML.
 *
 * One emulator serves many sites, told apart by the first path segment: site `umich` is at
 * `<base>/umich` (the SDK keeps an endpoint's path and appends `/`, so it POSTs to `<base>/umich/`).
 *
 * Emulator only (no EC2 equivalent): `GET <base>/<site>/instances` lists the site's instances as
 * JSON, for humans, tests and the README walkthrough, to callers `authorizeListing` accepts (the
 * broker's admin token): the tags and user-data of every project's instances are in it.
 */
export class Ec2Emulator {
  private readonly clock: Clock;
  private readonly stateFile?: string;
  /** Changes of the state so far; a call that changed it waits for a save before it answers. */
  private changes = 0;
  /** The save under way, and the next one, which takes in every change made until it starts. */
  private saving?: Promise<void>;
  private nextSave?: Promise<void>;
  private writes = 0;
  private readonly basePath: string;
  private readonly random: () => number;
  private readonly authorizeListing?: ListingAuthorizer;
  private readonly sites = new Map<string, EmulatedSite>();
  /** State loaded from the state file for sites not upserted yet. */
  private readonly dormant = new Map<string, StoredSiteState>();
  private server?: Server;
  /** Set by close(): the standalone server answers the calls under way, and no more. */
  private closing = false;

  constructor(options: Ec2EmulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.stateFile = options.stateFile;
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '');
    this.random = options.random ?? Math.random;
    this.authorizeListing = options.authorizeListing;
    if (this.stateFile) {
      for (const [name, state] of Object.entries(loadState(this.stateFile).sites)) this.dormant.set(name, state);
    }
  }

  /** Adds a site or updates its spec (its faults become the spec's, or none); the site's instances stay. */
  upsertSite(spec: EmulatedSiteSpec): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(spec.name)) {
      throw new Error(`emulated site name '${spec.name}' cannot be a path segment`);
    }
    const existing = this.sites.get(spec.name);
    if (existing) {
      existing.update(spec);
      return;
    }
    const state = this.dormant.get(spec.name) ?? emptySiteState();
    this.dormant.delete(spec.name);
    this.sites.set(spec.name, new EmulatedSite(spec, this.clock, () => this.persist(), state));
  }

  hasSite(name: string): boolean {
    return this.sites.has(name);
  }

  /** The site's visible instances (terminated ones for an hour), in launch order; for tests. */
  instances(siteName: string): EmulatedInstance[] {
    return this.site(siteName).instances();
  }

  /** Replaces the site's faults (`{}`: none). */
  setFaults(siteName: string, faults: EmulatedFaults): void {
    this.site(siteName).faults.replace(faults);
  }

  /** Makes instances vanish from the site without a trace (see EmulatedSite.vanish); for fault tests. */
  vanish(siteName: string, instanceIds: string[]): void {
    this.site(siteName).vanish(instanceIds);
  }

  /** The site's faults in force, with what is left of their counters. */
  faults(siteName: string): EmulatedFaults {
    return this.site(siteName).faults.current();
  }

  /** A plain Node handler, e.g. for `app.use('/emulator', (req, res) => emulator.handle(req, res))`. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res).catch((err: unknown) => {
      console.error('EC2 emulator: unexpected failure', err);
      if (!res.headersSent) this.reply(res, 500, XML, renderError('InternalError', 'An internal error has occurred', newRequestId()));
      else res.destroy();
    });
  }

  /** Serves the emulator on its own HTTP server; resolves to the base URL (including `basePath`). */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('EC2 emulator is already listening');
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${hostPart}:${address.port}${this.basePath}`;
  }

  /** How many times the state file was written: saves of changes that came together are shared. */
  get stateWrites(): number {
    return this.writes;
  }

  /**
   * Stops the standalone server (if any), then waits for the saves under way. With `drainMs` it
   * goes away as a cloud endpoint would for maintenance: no new connections, but the calls under
   * way are answered first (a RunInstances whose answer never came leaves its caller not knowing
   * what started), and connections close as they fall idle; whatever is still open after
   * `drainMs` is cut. Without it, every connection is cut at once (tests that leave calls hanging).
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      this.closing = true;
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), options.drainMs ?? 0);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    await (this.nextSave ?? this.saving)?.catch(() => undefined); // a failure was reported already
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Mounted in Express, req.url is relative to the mount point and req.originalUrl is what the client sent.
    const sentUrl = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const [siteName, ...rest] = this.routePath(url.pathname).split('/').filter(Boolean);
    const site = siteName === undefined ? undefined : this.sites.get(safeDecode(siteName));

    if (!site) {
      const requestId = newRequestId();
      const message = siteName ? `No emulated site named '${siteName}' at this endpoint` : 'No site in the request path';
      return this.reply(res, 404, XML, renderError('NotFound', message, requestId), requestId);
    }
    if (rest.length === 1 && rest[0] === 'instances' && req.method === 'GET') {
      if (!(await this.authorizeListing?.(req.headers.authorization))) {
        res.setHeader('www-authenticate', 'Bearer');
        return this.reply(res, 401, 'application/json', JSON.stringify({ error: 'the instance listing needs Authorization: Bearer <the admin token>' }));
      }
      return this.reply(res, 200, 'application/json', JSON.stringify(site.instances().map(listingEntry), null, 2));
    }
    if (rest.length > 0) {
      const requestId = newRequestId();
      return this.reply(res, 404, XML, renderError('NotFound', `No such path: ${url.pathname}`, requestId), requestId);
    }

    const requestId = newRequestId();
    try {
      const body = await readBody(req);
      const sent = new URL(sentUrl, 'http://emulator.invalid');
      await verifySigV4(
        { method: req.method ?? 'GET', path: sent.pathname, query: sent.searchParams, headers: req.headers, body },
        (accessKeyId) =>
          accessKeyId === site.accessKeyId
            ? { accessKeyId, secretAccessKey: site.secretAccessKey, region: site.region }
            : undefined,
      );
      const form = isForm(req) ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
      const params = QueryParams.parse(url.searchParams, form);
      const outcome = await this.call({ requestId, site, action: params.get('Action') ?? '', params });
      // Destroying the socket is what a client sees when a site vanishes or a reply is lost.
      if ('dropConnection' in outcome) res.destroy();
      else this.reply(res, outcome.status, XML, outcome.body, requestId);
    } catch (err) {
      if (!(err instanceof Ec2ApiError)) throw err;
      this.reply(res, err.status, XML, renderError(err.code, err.message, requestId), requestId);
    }
  }

  /**
   * Every authenticated EC2 call passes through here, and so do the site's faults: an unreachable
   * site, latency and injected errors before the action, a lost reply after it.
   */
  private async call(context: Ec2CallContext): Promise<Ec2CallOutcome> {
    const { site, action, requestId } = context;
    const fault = site.faults.before(action, this.random);
    if (fault.drop) return { dropConnection: true };
    // unref: a slow reply must not keep a process (or a test run) alive after the emulator closed
    if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs).unref());
    if (fault.error) return errorOutcome(fault.error, requestId);
    try {
      const changesBefore = this.changes;
      const fields = actionFor(action)(site, context.params);
      // a site never acknowledges what a restart would forget (a lost reply included: the instances exist)
      if (this.changes !== changesBefore) await this.saved();
      if (site.faults.dropReply(action)) return { dropConnection: true };
      return { status: 200, body: site.faults.reply(action, renderResponse(action, requestId, fields)) };
    } catch (err) {
      if (!(err instanceof Ec2ApiError)) throw err;
      return errorOutcome(err, requestId);
    }
  }

  private site(name: string): EmulatedSite {
    const site = this.sites.get(name);
    if (!site) throw new Error(`no emulated site named '${name}'`);
    return site;
  }

  /** Answers; once closing, with `Connection: close`, so that no client sends another call on a kept-alive connection. */
  private reply(res: ServerResponse, status: number, contentType: string, body: string, requestId?: string): void {
    if (this.closing) res.setHeader('connection', 'close');
    send(res, status, contentType, body, requestId);
  }

  /** The path below the mount point: `basePath` is stripped when present. */
  private routePath(pathname: string): string {
    const base = this.basePath;
    if (base && (pathname === base || pathname.startsWith(`${base}/`))) return pathname.slice(base.length) || '/';
    return pathname;
  }

  /** A change of the state: it is saved at once, and together with the changes that come while a save is under way. */
  private persist(): void {
    this.changes++;
    this.saved().catch((err: unknown) => console.error(`EC2 emulator: could not save its state to ${this.stateFile}`, err));
  }

  /**
   * Resolves once every change made so far is on disk. Calls that arrive while a save is under
   * way share the next one (a group commit), so a burst of RunInstances costs a few writes.
   */
  private saved(): Promise<void> {
    if (!this.stateFile) return Promise.resolve();
    this.nextSave ??= (this.saving ?? Promise.resolve())
      .catch(() => undefined) // that save's callers heard of its failure; this one tries again
      .then(() => {
        this.nextSave = undefined;
        this.saving = this.write();
        return this.saving;
      });
    return this.nextSave;
  }

  private async write(): Promise<void> {
    const state: StoredEmulatorState = { version: 1, sites: Object.fromEntries(this.dormant) };
    for (const [name, site] of this.sites) state.sites[name] = site.snapshot();
    this.writes++;
    await saveState(this.stateFile!, state);
  }
}

function listingEntry(instance: EmulatedInstance) {
  return {
    instanceId: instance.instanceId,
    state: instance.state,
    instanceType: instance.instanceType,
    // what the instance holds at the site, so a test can add up what a site holds without the type table
    vcpus: instance.vcpus,
    memoryMiB: instance.memoryMiB,
    gpus: instance.gpus,
    imageId: instance.imageId,
    privateIp: instance.privateIp,
    publicIp: instance.publicIp,
    subnetId: instance.subnetId,
    securityGroupIds: instance.securityGroupIds,
    keyName: instance.keyName,
    tags: instance.tags,
    launchTime: instance.launchTime.toISOString(),
  };
}

function errorOutcome(err: Ec2ApiError, requestId: string): Ec2CallOutcome {
  return { status: err.status, body: renderError(err.code, err.message, requestId) };
}

function send(res: ServerResponse, status: number, contentType: string, body: string, requestId?: string): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', Buffer.byteLength(body));
  if (requestId) res.setHeader('x-amzn-requestid', requestId);
  res.setHeader('server', 'AmazonEC2');
  res.end(body);
}

function isForm(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** The raw body: the signature covers its bytes, so nothing may have parsed it before. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const preParsed = (req as IncomingMessage & { body?: unknown }).body;
  if (Buffer.isBuffer(preParsed)) return preParsed;
  if (req.readableEnded) {
    if (preParsed !== undefined && !(typeof preParsed === 'object' && Object.keys(preParsed ?? {}).length === 0)) {
      throw new Error('EC2 emulator: the request body was consumed by a body parser; mount the emulator before it');
    }
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Ec2ApiError('RequestEntityTooLarge', 'Request body is too large', 413);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
