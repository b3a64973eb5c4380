import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { INVISIBLE_CONTROL, LONE_SURROGATE } from '../common/validation.js';

/**
 * One check of every string a caller gives, whichever field or argument it goes to, so that a
 * field added later cannot forget it: a length cap, text PostgreSQL can store (no NUL, no lone
 * surrogate), and, in names, no invisible or direction-changing controls. The domains check the
 * meaning of their inputs; this keeps out what no input may be. Caps are by schema coordinate:
 * `Type.field` for an input field, `Type.field(arg:)` for an argument.
 */
const DEFAULT_MAX_LENGTH = 1024;
const NAME_MAX_LENGTH = 200;
const MAX_LENGTHS: Record<string, number> = {
  'RegisterSiteInput.endpoint': 2048,
  'UpdateSiteInput.endpoint': 2048,
  'SiteDescriptorInput.endpoint': 2048,
  'SiteDescriptorInput.file': 4096,
  'SubmitRequestInput.userData': 16 * 1024, // cloud-init; its 16 KB in bytes is checked by the request's own rules
  'SubmitRequestInput.sshPublicKey': 16 * 1024, // an RSA key of 16384 bits is about 2.8 KB; certificates are longer
};
/** Names people read: of projects, sites, institutions, tokens, instance types, images and labels. */
const NAMES = new Set([
  'CreateProjectInput.name',
  'CreateProjectInput.institution',
  'RegisterSiteInput.name',
  'RegisterSiteInput.institution',
  'UpdateSiteInput.institution',
  'SiteDescriptorInput.name',
  'SiteDescriptorInput.institution',
  'CreateServiceAccountInput.name',
  'CreateServiceAccountInput.institution',
  'CreateApiTokenInput.name',
  'InstanceTypeInput.name',
  'ImageMappingInput.image',
  'SiteLabelInput.key',
  'SiteLabelInput.value',
]);

/** The coordinates the rules above name, so a test can check that each is in the schema. */
export const NAMED_COORDINATES = [...Object.keys(MAX_LENGTHS), ...NAMES];

export function maxLengthOf(coordinate: string): number {
  return MAX_LENGTHS[coordinate] ?? (NAMES.has(coordinate) ? NAME_MAX_LENGTH : DEFAULT_MAX_LENGTH);
}

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** What is wrong with one string, or null. */
export function stringProblem(coordinate: string, value: string): string | null {
  const max = maxLengthOf(coordinate);
  if (value.length > max) return `must be at most ${max} characters, got ${value.length}`;
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  const lone = LONE_SURROGATE.exec(value);
  if (lone) return `must be valid Unicode text: it holds a lone surrogate (${codePoint(lone[0])}) at position ${lone.index}`;
  const control = NAMES.has(coordinate) ? INVISIBLE_CONTROL.exec(value) : null;
  if (control) return `must not contain invisible or direction-changing control characters: it holds ${codePoint(control[0])} at position ${control.index}`;
  return null;
}

export interface InputProblem {
  /** As the domains name fields: relative to an argument named `input` (`capacity.vcpus`), else from the argument (`action`). */
  field: string;
  message: string;
}

/** Walks a coerced input value against its type; the first bad string, if any. */
function checkValue(value: unknown, type: GraphQLInputType, coordinate: string, path: string): InputProblem | null {
  if (value === null || value === undefined) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const items = Array.isArray(value) ? value : [value];
    for (const [i, item] of items.entries()) {
      const problem = checkValue(item, nullable.ofType, coordinate, `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      const problem = checkValue((value as Record<string, unknown>)[field.name], field.type, `${nullable.name}.${field.name}`, path ? `${path}.${field.name}` : field.name);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value !== 'string') return null;
  const problem = stringProblem(coordinate, value);
  return problem ? { field: path, message: `${path}: ${problem}` } : null;
}

/**
 * The first string input of `operation` that breaks the rules above, with its field; null when
 * there is none, or when the variables do not fit their types (execution reports that).
 */
export function inputProblem(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, rawVariables: Record<string, unknown> | undefined): InputProblem | null {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return null;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const walked = new Set<string>();

  // each fragment once: its arguments are the same wherever it is spread
  const walk = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): InputProblem | null => {
    for (const selection of set.selections) {
      let problem: InputProblem | null = null;
      if (selection.kind === Kind.FIELD) {
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!field) continue;
        for (const node of selection.arguments ?? []) {
          const arg = field.args.find((a) => a.name === node.name.value);
          if (!arg || problem) continue;
          const value = valueFromAST(node.value, arg.type, coerced.coerced);
          const path = arg.name === 'input' && isInputObjectType(getNullableType(arg.type)) ? '' : arg.name;
          problem = checkValue(value, arg.type, `${parent!.name}.${field.name}(${arg.name}:)`, path);
        }
        if (!problem && selection.selectionSet) problem = walk(selection.selectionSet, getNamedType(field.type));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        problem = walk(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? undefined : parent);
      } else if (!walked.has(selection.name.value)) {
        walked.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) problem = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
      }
      if (problem) return problem;
    }
    return null;
  };
  return walk(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);
}

/** The refusal of a bad input: BAD_USER_INPUT naming the field, before anything runs (over HTTP: status 400). */
export function inputRefusal(problem: InputProblem, http?: { status: number }): GraphQLError {
  return new GraphQLError(problem.message, { extensions: { code: 'BAD_USER_INPUT', field: problem.field, ...(http ? { http } : {}) } });
}

export function inputLimitsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          const problem = operation && inputProblem(schema, document, operation, request.variables);
          if (problem) throw inputRefusal(problem, { status: 400 });
        },
      };
    },
  };
}
