import type pg from 'pg';
import type { DataSource, EntityManager, EntityMetadata, ObjectLiteral } from 'typeorm';

/**
 * A hot statement that PostgreSQL parses and plans once per connection, not on every call: `pg`
 * sends it as a named prepared statement the first time a connection runs it, and only its values
 * after that. For statements run on every submission or placement; the name must be unique.
 */
export interface PreparedStatement {
  name: string;
  text: string;
}

/** The data sources on a PostgreSQL server, whose statements go by name (see Db). */
const preparedByName = new WeakSet<DataSource>();

/**
 * Statements are prepared by name on a PostgreSQL server only. The embedded database's
 * connections share one session, where a name one connection prepared clashes with another's.
 */
export function prepareStatementsByName(dataSource: DataSource): void {
  preparedByName.add(dataSource);
}

/** The query `pg` is given for `statement`: named where statements are prepared by name. */
export function preparedQuery(dataSource: DataSource, statement: PreparedStatement, values: unknown[]): pg.QueryConfig {
  return preparedByName.has(dataSource) ? { name: statement.name, text: statement.text, values } : { text: statement.text, values };
}

/**
 * Runs `statement` in the manager's transaction, or else on a connection of the pool, and gives
 * the rows as `pg` reads them (no entities: see entityFromRow).
 */
export async function runPrepared<Row = Record<string, unknown>>(manager: EntityManager, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  const query = preparedQuery(manager.connection, statement, values);
  if (!manager.queryRunner) {
    const pool = manager.connection.driver as unknown as { master: pg.Pool };
    return (await pool.master.query(query)).rows as Row[];
  }
  const connection = (await manager.queryRunner.connect()) as pg.PoolClient;
  return (await connection.query(query)).rows as Row[];
}

/**
 * An entity made from a row read with plain SQL (column names as in the database), with the
 * columns' transformers applied as TypeORM would: for hot paths where building the query and
 * hydrating through TypeORM would cost more than the statement itself.
 */
export function entityFromRow<T extends ObjectLiteral>(metadata: EntityMetadata, row: Record<string, unknown>): T {
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    const value = row[column.databaseName];
    const transformer = column.transformer;
    (entity as Record<string, unknown>)[column.propertyName] = transformer && !Array.isArray(transformer) ? transformer.from(value) : value;
  }
  return entity;
}
