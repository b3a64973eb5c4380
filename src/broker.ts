import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoProject } from './allocations/demo-project.js';
import { AppModule } from './app.module.js';
import type { Clock } from './common/clock.js';
import { createLogger, NestPinoLogger, type Logger } from './common/logging.js';
import { DataDirLockedError } from './database/data-dir-lock.js';
import { DatabaseUnavailableError } from './database/database.errors.js';
import { EMULATOR_PATH, SiteEmulatorService } from './compute/site-emulator.service.js';
import type { Config } from './config/config.js';
import { GRAPHQL_PATH } from './graphql/graphql-api.module.js';
import { graphqlPosts } from './graphql/graphql-posts.js';
import { AuthService } from './identity/auth.service.js';
import { MappingError } from './identity/claims-mapping.js';
import { isFederationAdmin } from './identity/principal.js';
import { signInLinkAtStart } from './identity/sign-in-links.js';
import { TOKEN_SIGN_IN_PATH } from './identity/token-sign-in.controller.js';
import { TokenSignIn } from './identity/token-sign-in.service.js';
import { ProvisioningScheduler } from './provisioning/provisioning.scheduler.js';
import { portalPages } from './portal-pages.js';
import { SiteHealthService } from './sites/health/site-health.service.js';
import { DescriptorError, readDescriptorFolder } from './sites/site-descriptors.js';
import { SiteDescriptorsService } from './sites/site-descriptors.service.js';

export interface Broker {
  app: NestExpressApplication;
  /** Where this broker answers on the loopback interface, e.g. http://127.0.0.1:4000 */
  url: string;
  /** The one-time link printed at start to sign in to the portal as the federation administrator; none with DATABASE_URL. */
  signInLink?: string;
  close(): Promise<void>;
}

/** The broker cannot listen where PORT and HOST say: one line for the operator, naming the setting to change. */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }

  static from(err: unknown, config: Pick<Config, 'PORT' | 'HOST'>): ListenError | undefined {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'EADDRINUSE') return new ListenError(`PORT: port ${config.PORT} on ${config.HOST} is already in use; stop what uses it or set another port`);
    if (code === 'EACCES') return new ListenError(`PORT: port ${config.PORT} needs privileges on this machine; set a port above 1023`);
    if (code === 'EADDRNOTAVAIL') return new ListenError(`HOST: ${config.HOST} is not an address of this machine`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ListenError(`HOST: ${config.HOST} is not a name this machine can resolve`);
    return undefined;
  }
}

/** Problems the operator fixes at start (a descriptor, the port, the data folder, ...): one line, no stack trace. */
export function isOperatorError(err: unknown): err is Error {
  return [ListenError, DescriptorError, DataDirLockedError, DatabaseUnavailableError, MappingError].some((type) => err instanceof type);
}

/** 1 MB: far more than any legitimate GraphQL document or variables (user-data is at most 16 KB). */
const BODY_LIMIT = '1mb';

/**
 * Builds and starts a broker: reads the site descriptors (a bad file stops the start before
 * anything listens), wires the application, listens, then applies the descriptors.
 */
export async function startBroker(config: Config, options: { clock?: Clock } = {}): Promise<Broker> {
  const logger = createLogger(config.LOG_LEVEL);
  const credentials = { env: process.env, envPrefix: config.SKYPOOL_SITE_ENV_PREFIX, credentialsDir: config.SKYPOOL_CREDENTIALS_DIR };
  const descriptors = config.SKYPOOL_SITES ? readDescriptorFolder(config.SKYPOOL_SITES, credentials) : [];
  const servesEmulator = descriptors.some((d) => d.emulated);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, options.clock), {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
    abortOnError: false, // throw, so main() reports one clear line
  });
  if (servesEmulator) {
    const emulatorService = app.get(SiteEmulatorService);
    // its listing shows every project's instances: federation admins only
    const auth = app.get(AuthService);
    emulatorService.authorizeListing = async (authorization) => {
      if (!authorization) return false;
      const { principal } = await auth.authenticate({ authorization });
      // a token limited to some GraphQL operations is for those alone
      return principal !== null && isFederationAdmin(principal) && principal.operations === undefined;
    };
    // before any body parser: the emulator checks request signatures over the raw body
    app.use(EMULATOR_PATH, (req: IncomingMessage, res: ServerResponse) => emulatorService.emulator.handle(req, res));
  }
  // before the JSON parser, which then leaves this body alone: the endpoint parses it itself (see there)
  app.use(TOKEN_SIGN_IN_PATH, express.text({ type: 'application/json', limit: '16kb' }));
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(graphqlPosts(app, GRAPHQL_PATH));
  // the web portal at /, before the API's routes (it passes on the broker's own paths)
  app.use(portalPages());
  try {
    await app.listen(config.PORT, config.HOST);
  } catch (err) {
    await app.close();
    throw ListenError.from(err, config) ?? err;
  }

  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (servesEmulator) app.get(SiteEmulatorService).url = `${url}${EMULATOR_PATH}`;
  await app.get(SiteDescriptorsService).applyAtStart(descriptors);
  if (config.SKYPOOL_DEMO_PROJECT) await app.get(DemoProject).ensure();
  // before the ready line, which main.ts follows by taking over SIGTERM: a stop just after it cleans up
  const signInLink = signInLinkAtStart(config) ? await printSignInLink(app, url, logger) : undefined;
  logger.info({ url, graphql: `${url}/graphql`, database: config.DATABASE_URL ? 'postgresql' : 'embedded', sites: descriptors.length }, 'skypool broker is ready');
  return { app, url, signInLink, close: () => closeBroker(app) };
}

/**
 * Makes a one-time sign-in link and prints it, as Jupyter does: in the log, and plainly on
 * stderr, since the log is JSON for machines and a person starting the broker should see it at a
 * glance. Both only when the log shows info lines (LOG_LEVEL=warn or silent prints nothing).
 */
async function printSignInLink(app: NestExpressApplication, url: string, logger: Logger): Promise<string | undefined> {
  const code = await app.get(TokenSignIn).issueLink();
  if (!code) return undefined;
  const signInLink = `${url}/auth/link?code=${code}`;
  logger.info({ signInLink }, 'open this link to sign in to the portal as the federation administrator (once, within 15 minutes)');
  if (logger.isLevelEnabled('info')) {
    process.stderr.write(`\n    To sign in to the portal as the federation administrator, open this link (it works once, within 15 minutes):\n        ${signInLink}\n\n`);
  }
  return signInLink;
}

/**
 * Stops taking work and lets the provisioning calls under way finish while the HTTP server still
 * serves the bundled emulator they may be calling; then the application closes (the GraphQL
 * server stops first, and with it the HTTP server).
 */
async function closeBroker(app: NestExpressApplication): Promise<void> {
  await Promise.all([app.get(ProvisioningScheduler).drain(), app.get(SiteHealthService).stop()]);
  await app.close();
}
