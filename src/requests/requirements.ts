import type { LabelRequirement } from '../allocator/core/allocator.types.js';
import { RequestsError, RequestsErrorCode } from './requests.errors.js';

const REQUIREMENT = /^([a-z0-9][a-z0-9._/-]{0,62})(?:=([^=\s]{1,128}))?$/i;

/** `key=value` or `key`, as stored. */
export function parseRequirement(text: string): LabelRequirement {
  const at = text.indexOf('=');
  return at === -1 ? { key: text, value: null } : { key: text.slice(0, at), value: text.slice(at + 1) };
}

/** Checks the requirements a request gives, e.g. ["gpu=a100", "network=infiniband", "ssd"]. */
export function validRequirements(list: string[] | null | undefined): string[] {
  if (!list) return [];
  list.forEach((text, i) => {
    if (!REQUIREMENT.test(text.trim())) {
      throw RequestsError.about(RequestsErrorCode.InvalidInput, `requirements[${i}]`, `must be a site label as key=value or key alone (letters, digits, . _ / -), e.g. gpu=a100; got ${JSON.stringify(text)}`);
    }
  });
  return [...new Set(list.map((t) => t.trim()))];
}
