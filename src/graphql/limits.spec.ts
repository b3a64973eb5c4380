import { describe, expect, it } from '@jest/globals';
import { buildSchema, getIntrospectionQuery, Kind, parse, specifiedRules, validate, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/config.js';
import { limitRules, measureOperation } from './limits.js';

const schema = buildSchema(`
  type Query { requests(first: Int = 100): [ResourceRequest!]! node: Node sites: [Site!]! projects: [Project!]! }
  type Project { id: ID! usage: Usage! members: [Member!]! }
  type Usage { coreHoursUsed: Float! }
  type Member { role: String! }
  type ResourceRequest { id: ID! instances: [Instance!]! explain: [SiteVerdict!]! }
  type Instance { id: ID! site: Node }
  type SiteVerdict { verdict: String! }
  type Site { id: ID! name: String! }
  type Node { id: ID! child: Node }
`);
const rules = limitRules({ maxDepth: 5, maxAliases: 3, maxCost: 50_000 });
const errors = (query: string) => validate(schema, parse(query), rules).map((e) => e.message);

/** The measure of a document's first operation, counting how often each fragment's definition is read. */
function measured(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const reads = new Map<string, number>();
  const fragment = (name: string) => {
    reads.set(name, (reads.get(name) ?? 0) + 1);
    return document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
  };
  return { ...measureOperation(schema, operation, fragment), reads };
}

/** Fragments F0..F(n-1), each spreading the next twice: the paths through them double at each step. */
function doublingChain(n: number): string {
  const fragments = Array.from({ length: n }, (_, i) => (i === n - 1 ? `fragment F${i} on Query { sites { id } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`));
  return `{ ...F0 } ${fragments.join(' ')}`;
}

describe('operation limits', () => {
  it('lets an ordinary page of 1000 requests with their instances through', () => {
    expect(errors('{ requests(first: 1000) { id instances { id site { id } } } }')).toEqual([]);
  });

  it('refuses deep nesting, also through fragments', () => {
    expect(errors('{ node { child { child { child { child { child { id } } } } } } }')).toEqual(['the operation is nested 7 levels deep; at most 5 are allowed']);
    expect(errors('{ node { ...A } } fragment A on Node { child { child { child { child { child { id } } } } } }')[0]).toMatch(/nested 7 levels/);
  });

  describe('introspection, against the served schema and the default limits', () => {
    const served = buildSchema(readFileSync('schema.graphql', 'utf8'));
    const defaults = loadConfig({});
    const defaultRules = limitRules({ maxDepth: defaults.SKYPOOL_GRAPHQL_MAX_DEPTH, maxAliases: defaults.SKYPOOL_GRAPHQL_MAX_ALIASES, maxCost: defaults.SKYPOOL_GRAPHQL_MAX_COST });
    const refusals = (query: string) => validate(served, parse(query), defaultRules).map((e) => e.message);

    it("lets the API explorer's introspection through: a type's chain of ofType is not nesting", () => {
      expect(refusals(getIntrospectionQuery())).toEqual([]);
    });

    it('counts it like any query, so that fanning out through types and fields is refused', () => {
      expect(refusals('{ __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }')).toEqual([
        expect.stringMatching(/^the operation's estimated cost is \d+; at most 200000 is allowed/),
      ]);
    });
  });

  it('refuses too many aliases', () => {
    expect(errors('{ a: node { id } b: node { id } c: node { id } d: node { id } }')).toEqual(['too many aliases: at most 3 per request']);
  });

  it('estimates cost by page size, counting a variable page size as the largest page', () => {
    const cheap = limitRules({ maxDepth: 5, maxAliases: 3, maxCost: 3000 });
    const costErrors = (query: string) => validate(schema, parse(query), cheap).map((e) => e.message);
    expect(costErrors('{ requests(first: 90) { id instances { id site { id } } } }')).toEqual([]);
    expect(costErrors('query($n: Int) { requests(first: $n) { id instances { id site { id } } } }')).toEqual([
      "the operation's estimated cost is 32001; at most 3000 is allowed (ask for smaller pages)",
    ]);
  });

  it('counts an omitted page size as its default, not as one', () => {
    // 1 for the list, then per request of the default page of 100: id, instances (10 expected) with an id each
    expect(measured('{ requests { id instances { id } } }').cost).toBe(1 + 100 * (1 + 1 + 10 * 1));
    expect(measured('{ requests { id instances { id } } }').cost).toBe(measured('{ requests(first: 100) { id instances { id } } }').cost);
    expect(measured('{ requests(first: null) { id } }').cost).toBe(measured('{ requests(first: 100) { id } }').cost);
  });

  it('counts a list without pages as its expected length, and an expensive field by its weight', () => {
    expect(measured('{ sites { id name } }').cost).toBe(1 + 10 * 2);
    // explaining a request evaluates it against every site
    expect(measured('{ requests(first: 10) { explain { verdict } } }').cost).toBe(1 + 10 * (20 + 10 * 1));
    // a project's usage and members each take queries of their own
    expect(measured('{ projects { usage { coreHoursUsed } } }').cost).toBe(1 + 10 * (300 + 1));
    expect(measured('{ projects { members { role } } }').cost).toBe(1 + 10 * (100 + 10 * 1));
  });

  it('reads each fragment once, so a chain of fragments that doubles the paths at each step costs no more time than its length', () => {
    const { cost, reads } = measured(doublingChain(40));
    expect(cost).toBe(2 ** 39 * (1 + 10)); // what executing it would cost: 2^39 lists of sites
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    expect(reads.size).toBe(40);
    const refused = errors(doublingChain(40));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^the operation's estimated cost is .*; at most 50000 is allowed/);
  });

  it('ends at a fragment cycle, reading each fragment once (the cycle itself is refused by the standard rules)', () => {
    const cycle = '{ ...A } fragment A on Query { sites { id } ...B ...B } fragment B on Query { ...A ...A ...B }';
    const { reads } = measured(cycle);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    const all = validate(schema, parse(cycle), [...specifiedRules, ...rules]).map((e) => e.message);
    expect(all).toContain('Cannot spread fragment "A" within itself via "B".');
  });
});
