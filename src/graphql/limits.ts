import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './paging.js';

/**
 * Limits that keep one hostile operation from tying up the broker (OWASP GraphQL cheat sheet):
 * depth, aliases and an estimated cost. They run in validation, before any resolver.
 */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/**
 * The cost model. A unit is one field resolved from what is already loaded. Lists multiply what
 * they hold: a paged list by its page size, any other list by the length it is expected to have.
 */
const EXPECTED_LIST_LENGTH = 10;
const LIST_LENGTHS: Record<string, number> = {
  // a request's history: its own state changes and each instance's
  'ResourceRequest.events': 20,
  // introspection, by the shape of this schema: about 80 types, few arguments, interfaces or enum values each
  '__Schema.types': 100,
  '__Field.args': 2,
  '__Directive.args': 2,
  '__Type.interfaces': 1,
  '__Type.possibleTypes': 2,
  '__Type.enumValues': 5,
  '__Type.inputFields': 5,
};
/**
 * Fields that cost more than reading a value, by what they do for each parent (weighed against
 * a page of requests on the embedded database, where a unit is about 10 µs): a query of their
 * own per project, or an evaluation of a request against every site. explain is batched per
 * page (one read of the federation's state), but each request is still evaluated on its own.
 */
const FIELD_WEIGHTS: Record<string, number> = {
  'ResourceRequest.explain': 20,
  'Query.planRequest': 500,
  'Project.usage': 300,
  'Project.members': 100,
  'Project.requests': 100,
};

function refuse(context: ValidationContext, message: string): void {
  context.reportError(new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
}

/**
 * A paged list's page size: as given, the largest page when given as a variable (validation is
 * cached per document, so the variable's value cannot count), and its default when left out.
 */
function pageSizeOf(node: FieldNode, field: GraphQLField<unknown, unknown>): number {
  const value = node.arguments?.find((a) => a.name.value === 'first')?.value;
  const fallback = field.args.find((a) => a.name === 'first')?.defaultValue;
  if (!value || value.kind === Kind.NULL) return typeof fallback === 'number' ? fallback : DEFAULT_PAGE_SIZE;
  if (value.kind === Kind.INT) return Math.min(Math.max(Number(value.value), 1), MAX_PAGE_SIZE); // more is refused as bad input
  return MAX_PAGE_SIZE;
}

/** How many times a field's selection is resolved for each time the field is. */
function multiplierOf(node: FieldNode, field: GraphQLField<unknown, unknown>, coordinate: string): number {
  if (field.args.some((a) => a.name === 'first')) return pageSizeOf(node, field);
  if (isListType(getNullableType(field.type))) return LIST_LENGTHS[coordinate] ?? EXPECTED_LIST_LENGTH;
  return 1;
}

export interface Measure {
  depth: number;
  cost: number;
}

const NOTHING: Measure = { depth: 0, cost: 0 };

/**
 * Measures operations of one document. Each fragment is measured once and remembered, so the
 * work is linear in the document however often fragments spread each other (a spread of a
 * fragment still being measured is a cycle, which the standard rules refuse: it counts nothing).
 */
class Measurer {
  private readonly fragmentMeasures = new Map<string, Measure | 'measuring'>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  ) {}

  operation(operation: OperationDefinitionNode): Measure {
    return this.selectionSet(operation.selectionSet, this.schema.getRootType(operation.operation) ?? undefined);
  }

  private selectionSet(set: SelectionSetNode, parent: GraphQLNamedType | undefined): Measure {
    let depth = 0;
    let cost = 0;
    for (const selection of set.selections) {
      let inner: Measure;
      if (selection.kind === Kind.FIELD) {
        inner = this.field(selection, parent);
        // a type's ofType chain (List of NonNull of ...) nests without fanning out: introspection (the API
        // explorer's, 15 levels) would not fit the depth limit if each link counted as a level
        const unwrapsType = isObjectType(parent) && parent.name === '__Type' && selection.name.value === 'ofType';
        inner = { depth: (unwrapsType ? 0 : 1) + inner.depth, cost: inner.cost };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = this.selectionSet(selection.selectionSet, selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) ?? undefined : parent);
      } else {
        inner = this.spread(selection.name.value);
      }
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
    }
    return { depth, cost };
  }

  /** The field's own depth below it, and its cost: its weight plus its selection for each item. */
  private field(node: FieldNode, parent: GraphQLNamedType | undefined): Measure {
    const field = this.introspectionRoot(node, parent) ?? (isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined);
    if (!field) {
      // unknown here (__typename, or a field validation refuses anyway): one unit and what it selects
      const inner = node.selectionSet ? this.selectionSet(node.selectionSet, undefined) : NOTHING;
      return { depth: inner.depth, cost: 1 + inner.cost };
    }
    const coordinate = `${parent!.name}.${field.name}`;
    const inner = node.selectionSet ? this.selectionSet(node.selectionSet, getNamedType(field.type)) : NOTHING;
    return { depth: inner.depth, cost: (FIELD_WEIGHTS[coordinate] ?? 1) + multiplierOf(node, field, coordinate) * inner.cost };
  }

  /** `__schema` and `__type` of the query type, in no field map: measured like any field (lists of types, fields and arguments multiply). */
  private introspectionRoot(node: FieldNode, parent: GraphQLNamedType | undefined): GraphQLField<unknown, unknown> | undefined {
    if (parent === undefined || parent !== this.schema.getQueryType()) return undefined;
    if (node.name.value === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (node.name.value === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    return undefined;
  }

  private spread(name: string): Measure {
    const known = this.fragmentMeasures.get(name);
    if (known === 'measuring') return NOTHING;
    if (known) return known;
    this.fragmentMeasures.set(name, 'measuring');
    const definition = this.fragment(name);
    const measure = definition ? this.selectionSet(definition.selectionSet, this.schema.getType(definition.typeCondition.name.value) ?? undefined) : NOTHING;
    this.fragmentMeasures.set(name, measure);
    return measure;
  }
}

/** The depth and estimated cost of one operation, in time linear in the document. */
export function measureOperation(schema: GraphQLSchema, operation: OperationDefinitionNode, fragment: (name: string) => FragmentDefinitionNode | null | undefined): Measure {
  return new Measurer(schema, fragment).operation(operation);
}

/** A cost past any limit is said as such: a document can reach figures too large to print usefully. */
const formatCost = (cost: number) => (cost < 1e15 ? String(cost) : 'over 10^15');

export function limitRules(limits: OperationLimits): ValidationRule[] {
  const aliases: ValidationRule = (context) => {
    let count = 0;
    return {
      Field(node) {
        if (node.alias && ++count === limits.maxAliases + 1) refuse(context, `too many aliases: at most ${limits.maxAliases} per request`);
      },
    } satisfies ASTVisitor;
  };
  const depthAndCost: ValidationRule = (context) => {
    const measurer = new Measurer(context.getSchema(), (name) => context.getFragment(name));
    return {
      OperationDefinition(node) {
        const m = measurer.operation(node);
        if (m.depth > limits.maxDepth) refuse(context, `the operation is nested ${m.depth} levels deep; at most ${limits.maxDepth} are allowed`);
        if (m.cost > limits.maxCost) refuse(context, `the operation's estimated cost is ${formatCost(m.cost)}; at most ${limits.maxCost} is allowed (ask for smaller pages)`);
      },
    };
  };
  return [aliases, depthAndCost];
}
