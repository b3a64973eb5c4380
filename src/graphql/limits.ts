import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';

/**
 * Limits that keep one hostile operation from tying up the broker (OWASP GraphQL cheat sheet):
 * depth, aliases and an estimated cost. They run in validation, before any resolver.
 */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.js';

function refuse(context: ValidationContext, message: string): void {
  context.reportError(new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
}

/**
 * A list paged with `first` costs its page size times its contents; an unpaged list counts once.
 * Validation is cached per document, so a page size given as a variable counts as the largest.
 */
function pageSizeOf(field: FieldNode): number {
  const value: ValueNode | undefined = field.arguments?.find((a) => a.name.value === 'first')?.value;
  if (!value) return 1;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
  return MAX_PAGE_SIZE;
}

interface Measure {
  depth: number;
  cost: number;
}

/** Walks a selection set, following fragments (each fragment path once, so cycles end). */
function measure(
  set: SelectionSetNode,
  fragments: (name: string) => FragmentDefinitionNode | null | undefined,
  seen: Set<string>,
): Measure {
  let depth = 0;
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      // introspection (off in production) nests 15 levels to read wrapped types: its depth is the schema's, not the caller's
      if (selection.name.value.startsWith('__')) continue;
      const inner = selection.selectionSet ? measure(selection.selectionSet, fragments, seen) : { depth: 0, cost: 0 };
      depth = Math.max(depth, 1 + inner.depth);
      cost += 1 + pageSizeOf(selection) * inner.cost;
    } else {
      const inner =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection.selectionSet
          : seen.has(selection.name.value)
            ? undefined
            : fragments(selection.name.value)?.selectionSet;
      if (!inner) continue;
      const nextSeen = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...seen, selection.name.value]) : seen;
      const m = measure(inner, fragments, nextSeen);
      depth = Math.max(depth, m.depth);
      cost += m.cost;
    }
  }
  return { depth, cost };
}

export function limitRules(limits: OperationLimits): ValidationRule[] {
  const aliases: ValidationRule = (context) => {
    let count = 0;
    return {
      Field(node) {
        if (node.alias && ++count === limits.maxAliases + 1) refuse(context, `too many aliases: at most ${limits.maxAliases} per request`);
      },
    } satisfies ASTVisitor;
  };
  const depthAndCost: ValidationRule = (context) => ({
    OperationDefinition(node) {
      const m = measure(node.selectionSet, (name) => context.getFragment(name), new Set());
      if (m.depth > limits.maxDepth) refuse(context, `the operation is nested ${m.depth} levels deep; at most ${limits.maxDepth} are allowed`);
      if (m.cost > limits.maxCost) refuse(context, `the operation's estimated cost is ${m.cost}; at most ${limits.maxCost} is allowed (ask for smaller pages)`);
    },
  });
  return [aliases, depthAndCost];
}
