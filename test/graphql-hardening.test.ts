import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN_TOKEN, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body });
  const text = await res.text();
  expect(text).not.toMatch(/\n\s+at |stacktrace/); // never a stack trace
  return { status: res.status, text, json: () => JSON.parse(text) };
}

describe(`GraphQL hardening on the ${databaseKind} database`, () => {
  let t: TestBroker;
  /** Tokens of principals of their own, so that what one test spends does not limit another. */
  const tokens: Record<'mutator' | 'aliaser' | 'reader', string> = { mutator: '', aliaser: '', reader: '' };
  beforeAll(async () => {
    // lower limits than the defaults, so the tests need few calls; the defaults are in config.spec
    t = await startTestBroker({
      sites: '',
      env: { SKYPOOL_RATE_LIMIT_PER_SECOND: '1', SKYPOOL_RATE_LIMIT_BURST: '20', SKYPOOL_QUERY_COST_PER_SECOND: '1000', SKYPOOL_QUERY_COST_BURST: '200000' },
    });
    for (const name of Object.keys(tokens) as (keyof typeof tokens)[]) {
      const { createServiceAccount } = await t.admin.data(`mutation { createServiceAccount(input: { name: "${name}", role: FEDERATION_ADMIN }) { token } }`);
      tokens[name] = createServiceAccount.token;
    }
  }, 60_000);
  afterAll(() => t?.stop());

  const stillResponsive = async () => expect((await t.admin.data('{ sites { id } }')).sites).toEqual([]);

  it('refuses an operation nested 20 levels deep', async () => {
    const deep = '{ resourceRequests { ' + 'project { requests { '.repeat(9) + 'id' + ' } }'.repeat(9) + ' } }';
    const res = await post(t.url, JSON.stringify({ query: deep }));
    expect(res.status).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ message: expect.stringMatching(/nested 2\d levels deep; at most 12/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    await stillResponsive();
  });

  it('refuses 100 aliases', async () => {
    const query = '{ ' + Array.from({ length: 100 }, (_, i) => `a${i}: sites { id }`).join(' ') + ' }';
    const res = await post(t.url, JSON.stringify({ query }));
    expect(res.status).toBe(400);
    expect(res.json().errors[0].message).toBe('too many aliases: at most 30 per request');
    await stillResponsive();
  });

  it('refuses a batch of 50 operations', async () => {
    const batch = Array.from({ length: 50 }, () => ({ query: '{ sites { id } }' }));
    const res = await post(t.url, JSON.stringify(batch));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/batch/i);
    await stillResponsive();
  });

  it('refuses a body over 1 MB without reading it into a query', async () => {
    const huge = JSON.stringify({ query: '{ sites { id } }', variables: { pad: 'x'.repeat(1024 * 1024) } });
    const res = await post(t.url, huge);
    expect(res.status).toBe(413);
    await stillResponsive();
  });

  it('refuses small anonymous documents whose fragments double the paths at each step, and /healthz answers meanwhile', async () => {
    // 40 fragments, each spreading the next twice: under 2 KB, 2^39 paths; each document differs, so each is validated
    const chain = (name: string) =>
      `query ${name} { ...F0 } ` + Array.from({ length: 40 }, (_, i) => (i === 39 ? 'fragment F39 on Query { sites { id } }' : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`)).join(' ');
    const anonymous = (query: string) => fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const refusals = Array.from({ length: 10 }, (_, i) => anonymous(chain(`Doubling${i}`)));
    const asked = performance.now();
    const health = await fetch(`${t.url}/healthz`);
    const waited = performance.now() - asked;
    expect(health.status).toBe(200);
    expect(waited).toBeLessThan(10_000); // about a millisecond when nothing blocks; a generous bound
    for (const res of await Promise.all(refusals)) {
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(/^the operation's estimated cost is .*; at most 200000 is allowed/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  });

  it('refuses a ring of fragments, each spreading the next twice, at once', async () => {
    const ring = '{ ...F0 } ' + Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { sites { id } ...F${(i + 1) % 40} ...F${(i + 1) % 40} }`).join(' ');
    const asked = performance.now();
    const res = await post(t.url, JSON.stringify({ query: ring }));
    expect(performance.now() - asked).toBeLessThan(10_000); // milliseconds when measured once per fragment; a generous bound
    expect(res.status).toBe(400);
    expect(res.json().errors.map((e: { message: string }) => e.message)).toContain('Cannot spread fragment "F0" within itself via "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "F13", "F14", "F15", "F16", "F17", "F18", "F19", "F20", "F21", "F22", "F23", "F24", "F25", "F26", "F27", "F28", "F29", "F30", "F31", "F32", "F33", "F34", "F35", "F36", "F37", "F38", "F39".');
  });

  it('refuses a document of too many tokens', async () => {
    const query = '{ sites { ' + 'id '.repeat(6000) + '} }';
    const res = await post(t.url, JSON.stringify({ query }));
    expect(res.status).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ message: expect.stringMatching(/Document contains more th\w+ 5000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  });

  it('lets the pinned page of 1000 requests with their instances through', async () => {
    const query = 'query($first: Int) { resourceRequests(first: $first) { id state reason reasonCode leaseEndsAt createdAt project { id name } instances { id state siteInstanceId privateIp publicIp instanceType site { id name } } } }';
    const res = await post(t.url, JSON.stringify({ query, variables: { first: 1000 } }));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ data: { resourceRequests: [] } });
  });

  it('refuses a cross-site request without a preflight-forcing header (CSRF)', async () => {
    const res = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ sites { id } }')}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });

  it('limits mutations per principal with HTTP 429 and RATE_LIMITED, queries unaffected', async () => {
    const mutation = (i: number) => JSON.stringify({ query: `mutation { createProject(input: { name: "rate-${i}", institution: "X" }) { id } }` });
    const as = { authorization: `Bearer ${tokens.mutator}` };
    // all at once: one after another, on a busy machine, 26 took long enough for the bucket (a
    // token a second) to refill past the burst, and the last was let through
    const answers = await Promise.all(Array.from({ length: 26 }, (_, i) => post(t.url, mutation(i), as)));
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(20);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    expect(limited[0]!.json().errors[0]).toMatchObject({ message: expect.stringMatching(/^rate limit: too many mutations/), extensions: { code: 'RATE_LIMITED' } });
    await stillResponsive();
  });

  it('counts each mutation of a document against the rate limit, aliases too', async () => {
    const aliased = (prefix: string, n: number) =>
      JSON.stringify({ query: `mutation { ${Array.from({ length: n }, (_, i) => `m${i}: createProject(input: { name: "${prefix}-${i}", institution: "X" }) { id }`).join(' ')} }` });
    const as = { authorization: `Bearer ${tokens.aliaser}` };
    const tooMany = await post(t.url, aliased('too-many', 21), as);
    expect(tooMany.status).toBe(429);
    expect(tooMany.json().errors[0]).toMatchObject({ message: 'rate limit: one request may make at most 20 mutations; this one makes 21', extensions: { code: 'RATE_LIMITED' } });
    expect((await post(t.url, aliased('at-once', 20), as)).status).toBe(200); // the whole burst in one document
    const next = await post(t.url, aliased('after', 10), as);
    expect(next.status).toBe(429);
    expect(next.json().errors[0].message).toMatch(/^rate limit: too many mutations from aliaser \(each mutation counts, aliases too\); try again in \d+ s$/);
    const names = (await t.admin.data('{ projects { name } }')).projects.map((p: { name: string }) => p.name);
    expect(names.filter((n: string) => n.startsWith('at-once-'))).toHaveLength(20);
    expect(names.filter((n: string) => n.startsWith('too-many-') || n.startsWith('after-'))).toEqual([]);
  });

  it('puts the queries of each principal, and of anonymous callers by address, under a budget of estimated cost', async () => {
    const page = JSON.stringify({ query: '{ resourceRequests(first: 1000) { id state instances { id state } } }' }); // estimated 23001
    for (const token of [tokens.reader, null]) {
      const answers: { status: number; retryAfter: string | null; body: { errors?: { message: string; extensions: { code: string } }[] } }[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: page });
        answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as (typeof answers)[number]['body'] });
      }
      // 8 pages (184,008) fit in the burst of 200,000; the budget then refills at 1,000 a second
      expect(answers.slice(0, 8).every((a) => a.status !== 429)).toBe(true);
      const limited = answers.find((a) => a.status === 429);
      expect(limited?.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^rate limit: the queries of (reader|anonymous callers from 127\.0\.0\.1) have used their budget \(an estimated cost of 1000 a second, 200000 at once\); this one costs 23001; try again in \d+ s$/),
        extensions: { code: 'RATE_LIMITED' },
      });
      expect(Number(limited?.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    await stillResponsive(); // the administrator has a budget of its own
  });
});

describe('GraphQL in production', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ sites: '', env: { NODE_ENV: 'production' } });
  }, 60_000);
  afterAll(() => t?.stop());

  it('has no introspection, no GraphiQL and no field suggestions', async () => {
    const introspection = await post(t.url, JSON.stringify({ query: '{ __schema { types { name } } }' }));
    expect(introspection.text).toMatch(/introspection is not allowed/i);
    const typo = await post(t.url, JSON.stringify({ query: '{ sitez { id } }' }));
    expect(typo.text).not.toMatch(/Did you mean/);
    const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
    expect((await fetch(`${t.url}/explorer/graphiql.min.js`)).status).toBe(404);
  });

  it('gives no field suggestions in the errors of variables either', async () => {
    const misspelled = [
      ['mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token } }', { input: { name: 'job', role: 'RESEARCHER', projectid: 'x' } }],
      ['mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { token } }', { input: { name: 'job', role: 'RESEARCHR' } }],
      ['query($states: [RequestState!]) { resourceRequests(states: $states) { id } }', { states: ['RUNNIN'] }],
    ] as const;
    for (const [query, variables] of misspelled) {
      const res = await post(t.url, JSON.stringify({ query, variables }));
      expect(res.status).toBe(400);
      expect(res.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.text).not.toMatch(/Did you mean/);
    }
  });

  it('gives none over the WebSocket, where a variable that does not fit is BAD_USER_INPUT', async () => {
    const client = createClient({ url: `${t.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${ADMIN_TOKEN}` }, retryAttempts: 0, lazy: true });
    try {
      const query = 'subscription($id: ID!, $states: [RequestState!]) { requestUpdated(id: $id) { project { requests(states: $states) { id } } } }';
      const outcome = await new Promise<{ error?: unknown; results: unknown[] }>((resolve) => {
        const results: unknown[] = [];
        client.subscribe({ query, variables: { id: '00000000-0000-0000-0000-000000000000', states: ['RUNNIN'] } }, {
          next: (r) => void results.push(r),
          error: (error) => resolve({ error, results }),
          complete: () => resolve({ results }),
        });
      });
      const errors = (outcome.error ?? (outcome.results[0] as { errors: unknown[] }).errors) as { message: string; extensions: { code: string } }[];
      expect(errors[0]).toMatchObject({ message: expect.stringMatching(/RUNNIN/), extensions: { code: 'BAD_USER_INPUT' } });
      expect(JSON.stringify(errors)).not.toMatch(/Did you mean/);
    } finally {
      await client.dispose();
    }
  });
});
