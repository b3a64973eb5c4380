import { BadInputError } from './errors.js';

/** Small checks that name the field they reject; services validate inputs with these. */
export function requireInteger(field: string, value: number | null | undefined, min: number, max = 2_147_483_647): void {
  if (value === null || value === undefined) throw new BadInputError(field, 'is required');
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BadInputError(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

export function optionalInteger(field: string, value: number | null | undefined, min: number, max = 2_147_483_647): void {
  if (value !== null && value !== undefined) requireInteger(field, value, min, max);
}

export function requireNumber(field: string, value: number | null | undefined, { min, max, exclusiveMin }: { min: number; max: number; exclusiveMin?: boolean }): void {
  if (value === null || value === undefined) throw new BadInputError(field, 'is required');
  const tooLow = exclusiveMin ? value <= min : value < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || tooLow || value > max) {
    throw new BadInputError(field, `must be ${exclusiveMin ? 'more than' : 'at least'} ${min} and at most ${max}, got ${value}`);
  }
}

export function optionalNumber(field: string, value: number | null | undefined, range: { min: number; max: number; exclusiveMin?: boolean }): void {
  if (value !== null && value !== undefined) requireNumber(field, value, range);
}

export function requirePattern(field: string, value: string, pattern: RegExp, described: string): void {
  if (typeof value !== 'string' || !pattern.test(value)) throw new BadInputError(field, `must be ${described}, got ${JSON.stringify(value.slice(0, 100))}`);
}

/** PostgreSQL text cannot hold NUL characters: refuse them here, as bad input, not later as a database error. */
export function rejectNul(field: string, value: string | null | undefined): void {
  if (typeof value === 'string' && value.includes('\u0000')) throw new BadInputError(field, 'must not contain NUL characters');
}

export function requireText(field: string, value: string, maxLength = 200): void {
  if (typeof value !== 'string' || value.trim() === '') throw new BadInputError(field, 'must not be empty');
  rejectNul(field, value);
  if (value.length > maxLength) throw new BadInputError(field, `must be at most ${maxLength} characters`);
}

export function requireUrl(field: string, value: string): void {
  rejectNul(field, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadInputError(field, `must be an http(s) URL, got ${JSON.stringify(value.slice(0, 100))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadInputError(field, 'must be an http(s) URL');
}

/** A DateTime input the scalar could not read arrives as an invalid Date. */
export function optionalDate(field: string, value: Date | null | undefined): void {
  if (value === null || value === undefined) return;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new BadInputError(field, 'must be an ISO 8601 date-time such as 2030-01-31T00:00:00Z');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A keyset cursor (`after`): the id of a row of the list, which the caller got from the previous page. */
export async function requireCursor<T>(what: string, after: string, find: (id: string) => Promise<T | null>): Promise<T> {
  const row = isUuid(after) ? await find(after) : null;
  if (!row) throw new BadInputError('after', `must be the id of the last ${what} on the previous page, got ${JSON.stringify(after.slice(0, 100))}`);
  return row;
}
