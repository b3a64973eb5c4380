import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { RequestContext } from '../identity/current-principal.decorator.js';
import type { Principal } from '../identity/principal.js';

/** The root fields an operation calls, through fragments; a field called under several aliases is listed for each. */
export function rootFields(set: SelectionSetNode, document: DocumentNode): string[] {
  return set.selections.flatMap((s) => {
    if (s.kind === Kind.FIELD) return [s.name.value];
    if (s.kind === Kind.INLINE_FRAGMENT) return rootFields(s.selectionSet, document);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
    return fragment && fragment.kind === Kind.FRAGMENT_DEFINITION ? rootFields(fragment.selectionSet, document) : [];
  });
}

/** A token limited to some operations may call only those root fields (and __typename): the refusal, if any. */
export function scopeRefusal(principal: Principal | null, operation: OperationDefinitionNode, document: DocumentNode): GraphQLError | null {
  const allowed = principal?.operations;
  if (!allowed) return null;
  const refused = rootFields(operation.selectionSet, document).filter((f) => f !== '__typename' && !allowed.includes(f));
  if (refused.length === 0) return null;
  return new GraphQLError(`this token may not call ${refused.join(', ')}; it may call only ${allowed.join(', ')}`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

export function operationScopePlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          const refusal = operation && scopeRefusal(contextValue.principal, operation, document);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
