import { describe, expect, it } from '@jest/globals';
import { buildSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { limitRules } from './limits.js';

const schema = buildSchema(`
  type Query { requests(first: Int): [Request!]! node: Node }
  type Request { id: ID! instances: [Instance!]! }
  type Instance { id: ID! site: Node }
  type Node { id: ID! child: Node }
`);
const rules = limitRules({ maxDepth: 5, maxAliases: 3, maxCost: 30_000 });
const errors = (query: string) => validate(schema, parse(query), rules).map((e) => e.message);

describe('operation limits', () => {
  it('lets an ordinary page of 1000 requests with their instances through', () => {
    expect(errors('{ requests(first: 1000) { id instances { id site { id } } } }')).toEqual([]);
  });

  it('refuses deep nesting, also through fragments', () => {
    expect(errors('{ node { child { child { child { child { child { id } } } } } } }')).toEqual(['the operation is nested 7 levels deep; at most 5 are allowed']);
    expect(errors('{ node { ...A } } fragment A on Node { child { child { child { child { child { id } } } } } }')[0]).toMatch(/nested 7 levels/);
  });

  it("lets the API explorer's introspection through: its depth is the schema's, not the caller's", () => {
    expect(errors(getIntrospectionQuery())).toEqual([]);
  });

  it('refuses too many aliases', () => {
    expect(errors('{ a: node { id } b: node { id } c: node { id } d: node { id } }')).toEqual(['too many aliases: at most 3 per request']);
  });

  it('estimates cost by page size, counting a variable page size as the largest page', () => {
    const cheap = limitRules({ maxDepth: 5, maxAliases: 3, maxCost: 3000 });
    const costErrors = (query: string) => validate(schema, parse(query), cheap).map((e) => e.message);
    expect(costErrors('{ requests(first: 100) { id instances { id site { id } } } }')).toEqual([]); // 1 + 100 x 5
    expect(costErrors('query($n: Int) { requests(first: $n) { id instances { id site { id } } } }')).toEqual([
      "the operation's estimated cost is 5001; at most 3000 is allowed (ask for smaller pages)",
    ]);
  });
});
