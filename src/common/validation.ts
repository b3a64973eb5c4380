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

/** Half of a UTF-16 surrogate pair on its own: it has no UTF-8 form, so PostgreSQL cannot store it. */
export const LONE_SURROGATE = /\p{Cs}/u;

/** Controls that make a name read as another (Trojan Source): C0/C1 controls, bidirectional embeddings, overrides, isolates and marks, invisible separators and operators, the byte-order mark. */
export const INVISIBLE_CONTROL = /[\p{Cc}\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/u;

/** PostgreSQL text cannot hold NUL characters nor lone surrogates: refuse them here, as bad input, not later as a database error. */
export function rejectUnstorable(field: string, value: string | null | undefined): void {
  if (typeof value !== 'string') return;
  if (value.includes('\u0000')) throw new BadInputError(field, 'must not contain NUL characters');
  if (LONE_SURROGATE.test(value)) throw new BadInputError(field, 'must be valid Unicode text: it holds a lone surrogate');
}

export function requireText(field: string, value: string, maxLength = 200): void {
  if (typeof value !== 'string' || value.trim() === '') throw new BadInputError(field, 'must not be empty');
  rejectUnstorable(field, value);
  if (value.length > maxLength) throw new BadInputError(field, `must be at most ${maxLength} characters`);
}

/** A name people read (a project, an institution): text without invisible or direction-changing controls. */
export function requireName(field: string, value: string, maxLength = 200): void {
  requireText(field, value, maxLength);
  if (INVISIBLE_CONTROL.test(value)) throw new BadInputError(field, 'must not contain invisible or direction-changing control characters');
}

export const MAX_URL_LENGTH = 2048;

export function requireUrl(field: string, value: string): void {
  rejectUnstorable(field, value);
  if (value.length > MAX_URL_LENGTH) throw new BadInputError(field, `must be at most ${MAX_URL_LENGTH} characters`);
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
