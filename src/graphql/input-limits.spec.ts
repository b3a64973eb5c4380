import { describe, expect, it } from '@jest/globals';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  parse,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type OperationDefinitionNode,
} from 'graphql';
import { readFileSync } from 'node:fs';
import { inputProblem, maxLengthOf, NAMED_COORDINATES } from './input-limits.js';

const schema = buildSchema(readFileSync('schema.graphql', 'utf8'));
const ROOTS = { query: schema.getQueryType()!, mutation: schema.getMutationType()!, subscription: schema.getSubscriptionType()! };

/** A value of `type` with every field given (a list holds one item), and the string leaves in it by path, with their coordinates. */
function fullValue(type: GraphQLInputType, coordinate: string, path: string, leaves: { path: string; coordinate: string }[]): unknown {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [fullValue(nullable.ofType, coordinate, `${path}[0]`, leaves)];
  if (isInputObjectType(nullable)) {
    return Object.fromEntries(Object.values(nullable.getFields()).map((f) => [f.name, fullValue(f.type, `${nullable.name}.${f.name}`, path ? `${path}.${f.name}` : f.name, leaves)]));
  }
  if (isEnumType(nullable)) return nullable.getValues()[0]!.value;
  switch (nullable.name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2030-01-01T00:00:00Z';
    default:
      leaves.push({ path, coordinate });
      return 'x';
  }
}

function setAt(value: Record<string, unknown>, path: string, leaf: string): Record<string, unknown> {
  const copy = structuredClone(value);
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[keys.at(-1)!] = leaf;
  return copy;
}

/** Every root field with arguments: an operation calling it with every argument given as a variable. */
const calls = Object.entries(ROOTS).flatMap(([kind, root]) =>
  Object.values(root.getFields())
    .filter((f) => f.args.length > 0)
    .map((field: GraphQLField<unknown, unknown>) => {
      const leaves: { path: string; coordinate: string }[] = [];
      const variables: Record<string, unknown> = {};
      for (const arg of field.args as readonly GraphQLArgument[]) {
        const argLeaves: { path: string; coordinate: string }[] = [];
        variables[arg.name] = fullValue(arg.type, `${root.name}.${field.name}(${arg.name}:)`, arg.name, argLeaves);
        leaves.push(...argLeaves);
      }
      const selection = isLeafType(getNamedType(field.type)) ? '' : '{ __typename }';
      const query = `${kind}(${field.args.map((a) => `$${a.name}: ${a.type}`).join(', ')}) { ${field.name}(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')}) ${selection} }`;
      return { name: `${root.name}.${field.name}`, query, variables, leaves };
    }),
);

function problemOf(query: string, variables: Record<string, unknown>) {
  const document = parse(query);
  return inputProblem(schema, document, document.definitions[0] as OperationDefinitionNode, variables);
}

/** The domains name a field of an argument called `input` without it. */
const fieldName = (path: string) => path.replace(/^input\./, '');

describe('input limits', () => {
  it('find every string input of the schema', () => {
    const leaves = calls.flatMap((c) => c.leaves);
    expect(leaves.length).toBeGreaterThan(50);
    expect(calls.every((c) => problemOf(c.query, c.variables) === null)).toBe(true); // short, plain values pass
  });

  it.each(calls.map((c) => [c.name, c] as const))('cap every string input of %s, naming the field', (_name, call) => {
    for (const leaf of call.leaves) {
      const max = maxLengthOf(leaf.coordinate);
      expect(max).toBeLessThanOrEqual(16 * 1024);
      expect([leaf.coordinate, problemOf(call.query, setAt(call.variables, leaf.path, 'x'.repeat(max)))]).toEqual([leaf.coordinate, null]);
      expect(problemOf(call.query, setAt(call.variables, leaf.path, 'x'.repeat(max + 1)))).toEqual({
        field: fieldName(leaf.path),
        message: `${fieldName(leaf.path)}: must be at most ${max} characters, got ${max + 1}`,
      });
      expect(problemOf(call.query, setAt(call.variables, leaf.path, 'a\ud800'))?.message).toBe(`${fieldName(leaf.path)}: must be valid Unicode text: it holds a lone surrogate (U+D800) at position 1`);
      expect(problemOf(call.query, setAt(call.variables, leaf.path, 'a\u0000'))?.field).toBe(fieldName(leaf.path));
    }
  });

  it('give endpoints 2 KB, cloud-init and ssh keys 16 KB, names 200 characters, anything else 1 KB', () => {
    expect(maxLengthOf('RegisterSiteInput.endpoint')).toBe(2048);
    expect(maxLengthOf('SubmitRequestInput.userData')).toBe(16384);
    expect(maxLengthOf('SubmitRequestInput.sshPublicKey')).toBe(16384);
    expect(maxLengthOf('CreateProjectInput.name')).toBe(200);
    expect(maxLengthOf('Query.auditEvents(action:)')).toBe(1024);
  });

  it('name only coordinates of the schema', () => {
    const inputFields = Object.values(schema.getTypeMap())
      .filter(isInputObjectType)
      .flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`));
    expect(NAMED_COORDINATES.filter((c) => !inputFields.includes(c))).toEqual([]);
  });

  it('refuse direction overrides and other invisible controls in names, and welcome any script', () => {
    const create = 'mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }';
    for (const control of ['\u202E', '\u202A', '\u2066', '\u2069', '\u200F', '\u061C', '\u200B', '\uFEFF', '\n']) {
      expect(problemOf(create, { input: { name: `thesis${control}fdp.exe`, institution: 'X' } })?.message).toMatch(/^name: must not contain invisible or direction-changing control characters: it holds U\+/);
    }
    expect(problemOf(create, { input: { name: 'Projekt-東京-القاهرة-👩‍🔬', institution: 'Universität Zürich' } })).toBeNull();
    // outside names (cloud-init, say), such characters are the caller's business
    const submit = 'mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { __typename } }';
    expect(problemOf(submit, { input: { projectId: 'p', image: 'i', vcpus: 1, memoryMiB: 1, leaseHours: 1, userData: '#cloud-config\n# \u202E\n' } })).toBeNull();
  });

  it('check literals, nested inputs and fragments too', () => {
    const long = 'x'.repeat(1025);
    expect(problemOf(`{ auditEvents(action: "${long}") { id } }`, {})?.field).toBe('action');
    expect(problemOf(`query { ...F } fragment F on Query { auditEvents(action: "${long}") { id } }`, {})?.field).toBe('action');
    expect(problemOf(`mutation { registerSite(input: { name: "n", institution: "i", endpoint: "e", region: "r", accessKeyId: "a", secretAccessKey: "s", capacity: { vcpus: 1, memoryMiB: 1 }, instanceTypes: [{ name: "t", vcpus: 1, memoryMiB: 1 }], images: [{ image: "i", imageId: "${long}" }] }) { id } }`, {})?.field).toBe('images[0].imageId');
  });

  it('leave variables that do not fit their types to execution, which reports them', () => {
    expect(problemOf('query($a: String) { auditEvents(action: $a) { id } }', { a: 5 })).toBeNull();
  });
});
