import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CloseCode } from 'graphql-ws';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { groupBy } from '../common/group-by.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import { AuthService, type Authentication, type Credentials } from '../identity/auth.service.js';
import { readCookie, SESSION_COOKIE } from '../identity/oidc/cookies.js';
import type { Principal } from '../identity/principal.js';

/** What graphql-ws keeps per socket: the upgrade request and, once the connection is accepted, who it is. */
export interface SocketExtra {
  socket: { close(code: number, reason: string): void };
  request: IncomingMessage;
  principal?: Principal;
  /** the credentials it connected with, checked again while it is open */
  credentials?: Credentials;
}

/** A close reason is at most 123 bytes. */
const reason = (text: string) => text.slice(0, 120);

/** The bearer token of graphql-ws connectionParams, { Authorization: 'Bearer …' } (or lower case). */
function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.Authorization ?? params?.authorization;
  return typeof value === 'string' ? value : undefined;
}

const grantKeys = (principal: Principal) => principal.grants.map((g) => `${g.role}|${g.projectId ?? ''}|${g.institution ?? ''}`);

/** Whether `now` lacks a role `before` had (gaining one changes nothing for what is already open). */
function lostARole(before: Principal, now: Principal): boolean {
  const held = new Set(grantKeys(now));
  return grantKeys(before).some((key) => !held.has(key));
}

/**
 * Subscriptions last; credentials may not. A socket authenticates when it connects, with a bearer
 * token (connectionParams, or the upgrade request's Authorization header) or, from this site's
 * own pages, the session cookie. Its credentials are then checked again every
 * SKYPOOL_SUBSCRIPTION_RECHECK_SECONDS and before each new subscription: a revoked or expired token,
 * or an ended session, closes the socket with 4401 (UNAUTHENTICATED); a caller who lost a role
 * closes with 4403 (FORBIDDEN), to connect again with the roles now held. Sockets with the same
 * credentials are checked with one lookup.
 */
@Injectable()
export class SocketAuthentication implements OnModuleDestroy {
  private readonly open = new Set<SocketExtra>();
  private readonly timer: NodeJS.Timeout;
  private readonly ownOrigins: Set<string>;
  private sweeping = false;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly auth: AuthService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.ownOrigins = new Set(config.oidcProviders.map((p) => new URL(p.redirectUrl).origin));
    this.timer = setInterval(() => void this.recheckAll(), config.SKYPOOL_SUBSCRIPTION_RECHECK_SECONDS * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Authenticates a new socket; accepted, it is watched until it closes. False: it was closed. */
  async admit(extra: SocketExtra, connectionParams: Record<string, unknown> | undefined): Promise<boolean> {
    const credentials = this.credentialsOf(extra.request, connectionParams);
    if ('problem' in credentials) return this.refuse(extra, credentials.problem);
    const authentication = await this.auth.authenticate(credentials);
    if (!authentication.principal) return this.refuse(extra, authentication.problem);
    extra.credentials = credentials;
    extra.principal = authentication.principal;
    this.open.add(extra);
    return true;
  }

  forget(extra: SocketExtra): void {
    this.open.delete(extra);
  }

  /** Checks a socket's credentials again, as before a new subscription. False: it was closed. */
  async recheck(extra: SocketExtra): Promise<boolean> {
    if (!extra.credentials) return false;
    return this.apply(extra, await this.auth.authenticate(extra.credentials));
  }

  /** Every open socket, once per distinct credentials; a pass still under way is not overlapped. */
  async recheckAll(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const sockets of groupBy(this.open, (extra) => JSON.stringify(extra.credentials)).values()) {
        const authentication = await this.auth.authenticate(sockets[0]!.credentials!);
        for (const extra of sockets) this.apply(extra, authentication);
      }
    } catch (err) {
      this.logger.error({ err }, 'checking the credentials of subscription sockets failed; trying again at the next pass');
    } finally {
      this.sweeping = false;
    }
  }

  private apply(extra: SocketExtra, authentication: Authentication): boolean {
    if (!authentication.principal) return this.refuse(extra, authentication.problem);
    if (lostARole(extra.principal!, authentication.principal)) {
      this.forget(extra);
      extra.socket.close(CloseCode.Forbidden, reason('FORBIDDEN: your roles changed; connect again to subscribe with the roles you hold now'));
      return false;
    }
    extra.principal = authentication.principal;
    return true;
  }

  private refuse(extra: SocketExtra, problem: string): false {
    this.forget(extra);
    extra.socket.close(CloseCode.Unauthorized, reason(`UNAUTHENTICATED: ${problem}`));
    return false;
  }

  /**
   * A bearer token wins over a cookie, as over HTTP. The session cookie counts only from this
   * site's pages: a browser sends it with any page's socket, and the Origin header tells whose.
   */
  private credentialsOf(request: IncomingMessage, connectionParams: Record<string, unknown> | undefined): Credentials | { problem: string } {
    const authorization = authorizationOf(connectionParams) ?? request.headers.authorization;
    if (authorization) return { authorization };
    const session = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!session) return { problem: 'no credentials: send connectionParams { "Authorization": "Bearer <token>" }' };
    const origin = request.headers.origin;
    const host = request.headers.host;
    const ownPage = !origin || this.ownOrigins.has(origin) || (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`));
    if (!ownPage) return { problem: `the session cookie is not accepted from a page of origin ${origin}` };
    return { cookie: `${SESSION_COOKIE}=${encodeURIComponent(session)}` };
  }
}
