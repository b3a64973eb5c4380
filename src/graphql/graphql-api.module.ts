import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule, GraphQLSchemaHost } from '@nestjs/graphql';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { AllocationsModule } from '../allocations/allocations.module.js';
import { LOGGER } from '../common/logging.js';
import { CONFIG, type Config } from '../config/config.js';
import type { RequestContext } from '../identity/current-principal.decorator.js';
import { IdentityModule } from '../identity/identity.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { SitesModule } from '../sites/sites.module.js';
import { apiExplorerPlugin } from './api-explorer.js';
import { createErrorFormatter } from './format-error.js';
import { GraphqlExceptionsFilter } from './graphql-exceptions.filter.js';
import { inputLimitsPlugin } from './input-limits.js';
import { limitRules } from './limits.js';
import { LoadersFactory } from './loaders.js';
import { operationScopePlugin } from './operation-scope.js';
import { rateLimitPlugin, TokenBuckets } from './rate-limit.js';
import { SocketAuthentication } from './socket-authentication.js';
import { HttpContexts } from './http-context.js';
import { graphqlWsOptions } from './subscriptions.js';
import { uncacheableAnswersPlugin } from './uncacheable.js';

export const GRAPHQL_PATH = '/graphql';

@Module({
  imports: [SitesModule, AllocationsModule, RequestsModule, IdentityModule],
  providers: [LoadersFactory, SocketAuthentication, HttpContexts],
  exports: [LoadersFactory, SocketAuthentication, HttpContexts],
})
class GraphqlSupportModule {}

/**
 * Apollo Server at /graphql, code-first: the TypeScript API types are the source and
 * schema.graphql is the emitted, committed contract (a test fails when they differ).
 */
@Module({
  providers: [{ provide: APP_FILTER, useClass: GraphqlExceptionsFilter }],
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [IdentityModule, GraphqlSupportModule],
      inject: [CONFIG, LOGGER, HttpContexts, LoadersFactory, SocketAuthentication, GraphQLSchemaHost],
      useFactory: (config: Config, logger: Logger, contexts: HttpContexts, loaders: LoadersFactory, sockets: SocketAuthentication, schemaHost: GraphQLSchemaHost): ApolloDriverConfig => {
        const production = config.NODE_ENV === 'production';
        const limits = { maxDepth: config.SKYPOOL_GRAPHQL_MAX_DEPTH, maxAliases: config.SKYPOOL_GRAPHQL_MAX_ALIASES, maxCost: config.SKYPOOL_GRAPHQL_MAX_COST };
        const formatError = createErrorFormatter(logger, { hideSuggestions: production });
        return {
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          sortSchema: true,
          introspection: !production,
          graphiql: false, // the API explorer below serves GraphiQL from local packages, not a CDN
          includeStacktraceInErrorResponses: false,
          hideSchemaDetailsFromClientErrors: production, // no "did you mean" field suggestions
          csrfPrevention: true,
          allowBatchedHttpRequests: false, // no client needs batches: one operation per request
          parseOptions: { maxTokens: config.SKYPOOL_GRAPHQL_MAX_TOKENS },
          validationRules: limitRules(limits),
          plugins: [
            ...(production ? [] : [apiExplorerPlugin()]),
            inputLimitsPlugin(),
            operationScopePlugin(),
            rateLimitPlugin({
              mutations: new TokenBuckets(config.SKYPOOL_RATE_LIMIT_PER_SECOND, config.SKYPOOL_RATE_LIMIT_BURST),
              queryCost: new TokenBuckets(config.SKYPOOL_QUERY_COST_PER_SECOND, config.SKYPOOL_QUERY_COST_BURST),
            }),
            ApolloServerPluginCacheControlDisabled(),
            uncacheableAnswersPlugin(),
          ],
          formatError,
          subscriptions: {
            'graphql-ws': graphqlWsOptions({
              sockets,
              loaders,
              schema: () => schemaHost.schema,
              limits,
              maxTokens: config.SKYPOOL_GRAPHQL_MAX_TOKENS,
              hideSuggestions: production,
              formatError,
            }),
          },
          // POST requests mostly take the short way (graphql-posts.ts), with the same context
          context: ({ req }: { req: Request }): Promise<RequestContext> => contexts.of(req),
        };
      },
    }),
  ],
})
export class GraphqlApiModule {}
