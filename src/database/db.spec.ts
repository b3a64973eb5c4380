import { describe, expect, it, jest } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { Db } from './db.js';

/** A data source whose transactions hand out a new manager each time and fail as `outcomes` say. */
function fakeDataSource(outcomes: (Error | null)[] = []) {
  return {
    manager: {} as EntityManager,
    async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
      const result = await work({ queryRunner: { isTransactionActive: true } } as unknown as EntityManager);
      const failure = outcomes.shift();
      if (failure) throw failure;
      return result;
    },
  } as unknown as DataSource;
}

const serializationFailure = () => Object.assign(new Error('could not serialize access'), { code: '40001' });

describe('Db.afterCommit', () => {
  it('runs the callbacks once the transaction has committed, in order', async () => {
    const db = new Db(fakeDataSource());
    const seen: string[] = [];
    const result = await db.transaction(async (manager) => {
      db.afterCommit(manager, () => seen.push('first'));
      db.afterCommit(manager, () => seen.push('second'));
      seen.push('work');
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['work', 'first', 'second']);
  });

  it('drops them when the transaction fails, and when an attempt is retried', async () => {
    const db = new Db(fakeDataSource([serializationFailure(), null]));
    const seen: number[] = [];
    let attempt = 0;
    await db.transaction(async (manager) => {
      const n = ++attempt;
      db.afterCommit(manager, () => seen.push(n));
    });
    expect(seen).toEqual([2]);

    await expect(
      db.transaction(async (manager) => {
        db.afterCommit(manager, () => seen.push(3));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(seen).toEqual([2]);
  });

  it('runs at once outside a transaction, and refuses a transaction it did not start', () => {
    const db = new Db(fakeDataSource());
    const callback = jest.fn();
    db.afterCommit(db.manager, callback);
    expect(callback).toHaveBeenCalledTimes(1);
    expect(() => db.afterCommit({ queryRunner: { isTransactionActive: true } } as unknown as EntityManager, callback)).toThrow(/Db.transaction/);
  });

  it('reports a failing callback and still runs the others', async () => {
    const logger = { error: jest.fn() };
    const db = new Db(fakeDataSource(), logger);
    const after = jest.fn();
    await db.transaction(async (manager) => {
      db.afterCommit(manager, () => {
        throw new Error('boom');
      });
      db.afterCommit(manager, after);
    });
    expect(after).toHaveBeenCalled();
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), 'a callback after commit failed');
  });
});

describe('Db.rows', () => {
  /** A data source whose pool answers every query with `rows` and remembers what it was asked. */
  function poolDataSource(rows: unknown[]) {
    const asked: unknown[] = [];
    const dataSource = {
      logger: { logQuery: jest.fn() },
      driver: { master: { query: (config: unknown) => (asked.push(config), Promise.resolve({ rows })) } },
    } as unknown as DataSource;
    return { dataSource, asked };
  }
  const statement = { name: 'a_statement', text: 'SELECT $1::int AS n' };

  it('prepares the statement under its name on a server', async () => {
    const { dataSource, asked } = poolDataSource([{ n: 1 }]);
    expect(await new Db(dataSource, undefined, { namedStatements: true }).rows(statement, [1])).toEqual([{ n: 1 }]);
    expect(asked).toEqual([{ name: 'a_statement', text: statement.text, values: [1] }]);
  });

  it('leaves it unnamed on the embedded database, whose connections share one session', async () => {
    const { dataSource, asked } = poolDataSource([]);
    await new Db(dataSource, undefined, { namedStatements: false }).rows(statement, [1]);
    expect(asked).toEqual([{ text: statement.text, values: [1] }]);
  });
});
