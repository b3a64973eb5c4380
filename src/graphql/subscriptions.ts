import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { getOperationAST, getVariableValues, GraphQLError, parse, specifiedRules, validate, type ASTNode, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../identity/current-principal.decorator.js';
import { withoutSuggestions as stripSuggestions } from './format-error.js';
import { inputProblem, inputRefusal } from './input-limits.js';
import { limitRules, type OperationLimits } from './limits.js';
import type { LoadersFactory } from './loaders.js';
import { scopeRefusal } from './operation-scope.js';
import type { SocketAuthentication, SocketExtra } from './socket-authentication.js';

export interface SubscriptionSettings {
  sockets: SocketAuthentication;
  loaders: LoadersFactory;
  /** The executable schema; built after this configuration, so asked for when needed. */
  schema: () => GraphQLSchema;
  limits: OperationLimits;
  maxTokens: number;
  /** Drop "Did you mean ...?" suggestions from validation and variable errors, as over HTTP. */
  hideSuggestions: boolean;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

const refusal = (message: string, code: string, nodes?: readonly ASTNode[]) => new GraphQLError(message, { nodes, extensions: { code } });

/**
 * Subscriptions over graphql-ws at /graphql, held to the same rules as HTTP: a connection
 * authenticates with a bearer token in its connectionParams (or its upgrade request's
 * Authorization header, or a session cookie from this site's pages) and is closed with 4401 and
 * UNAUTHENTICATED otherwise; its credentials are checked again while it is open and before each
 * subscription (see SocketAuthentication); each document
 * goes through the token limit, the depth, alias and cost limits and the token's operation
 * scope; errors are mapped by the same formatter. The socket serves subscriptions only: queries
 * and mutations go over HTTP, where the rate limit applies.
 */
export function graphqlWsOptions(settings: SubscriptionSettings): GraphQLWsSubscriptionsConfig {
  const rules = [...specifiedRules, ...limitRules(settings.limits)];
  const withoutSuggestions = (message: string) => (settings.hideSuggestions ? stripSuggestions(message) : message);
  return {
    onConnect: (ctx) => settings.sockets.admit(ctx.extra as SocketExtra, ctx.connectionParams),
    onClose: (ctx) => settings.sockets.forget(ctx.extra as SocketExtra),
    onSubscribe: async (ctx, _id, payload) => {
      const extra = ctx.extra as SocketExtra;
      // the credentials may have been revoked or have expired since the last check: that closes the socket
      if (!(await settings.sockets.recheck(extra))) return [refusal('the credentials of this connection no longer hold', 'UNAUTHENTICATED')];
      const principal = extra.principal ?? null;
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: settings.maxTokens });
      } catch (err) {
        return [refusal((err as Error).message, 'GRAPHQL_PARSE_FAILED')];
      }
      const schema = settings.schema();
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) return invalid.map((e) => refusal(withoutSuggestions(e.message), 'GRAPHQL_VALIDATION_FAILED', e.nodes));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [refusal('the document must hold one operation, or operationName must name one', 'BAD_REQUEST')];
      if (operation.operation !== 'subscription') return [refusal('this socket serves subscriptions; send queries and mutations with POST /graphql', 'BAD_REQUEST')];
      const outOfScope = scopeRefusal(principal, operation, document);
      if (outOfScope) return [refusal(outOfScope.message, 'FORBIDDEN')];
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
      if (coerced.errors) return coerced.errors.map((e) => refusal(withoutSuggestions(e.message), 'BAD_USER_INPUT', e.nodes));
      const badInput = inputProblem(schema, document, operation, payload.variables ?? undefined);
      if (badInput) return [inputRefusal(badInput)];
      const contextValue: RequestContext = { principal, loaders: settings.loaders.create({ cache: false }) };
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
    },
    onNext: (_ctx, _id, _payload, _args, result) => {
      if (!result.errors?.length) return undefined;
      return { ...result, errors: result.errors.map((e) => settings.formatError(e.toJSON(), e)) };
    },
  };
}
