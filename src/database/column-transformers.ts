import type { ValueTransformer } from 'typeorm';

/**
 * `pg` reads `bigint` and `numeric` as strings, so no precision is lost on the way; these turn
 * them into numbers. A bigint of whole minutes stays exact up to 2^53 (9e15 vCPU-minutes, far
 * beyond any budget), and a `numeric` the API wrote from a number reads back as that number.
 */
export const exactNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
