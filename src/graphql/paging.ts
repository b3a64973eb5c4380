import { BadInputError } from '../common/errors.js';

export const MAX_PAGE_SIZE = 1000;

export const DEFAULT_PAGE_SIZE = 100;

/** Checks a `first` argument: 1 to 1000; null (sent explicitly) means the default. */
export function pageSize(first: number | null): number {
  if (first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new BadInputError('first', `must be from 1 to ${MAX_PAGE_SIZE}, got ${first}`);
  return first;
}
