import { invalidParameterValue } from './ec2-api-error.js';
import type { Ec2Filter } from './ec2-query.js';

/** For each supported filter name, the values of an item that a filter value is matched against. */
export type FilterFields<T> = Record<string, (item: T) => Array<string | undefined>>;

/**
 * EC2 filter semantics: every filter must match (AND); within a filter any value may match (OR);
 * values may use `*` (any run of characters) and `?` (one character), `\` escapes them.
 * `tag:KEY`, `tag-key` and `tag-value` work when the items have tags.
 */
export function applyFilters<T>(
  items: T[],
  filters: Ec2Filter[],
  fields: FilterFields<T>,
  tagsOf?: (item: T) => Record<string, string>,
): T[] {
  const predicates = filters.map((filter) => {
    const valuesOf = fieldFor(filter.name, fields, tagsOf);
    const patterns = filter.values.map(wildcard);
    return (item: T) =>
      valuesOf(item).some((value) => value !== undefined && patterns.some((pattern) => pattern.test(value)));
  });
  return items.filter((item) => predicates.every((matches) => matches(item)));
}

function fieldFor<T>(
  name: string,
  fields: FilterFields<T>,
  tagsOf?: (item: T) => Record<string, string>,
): (item: T) => Array<string | undefined> {
  if (Object.hasOwn(fields, name)) return fields[name];
  if (tagsOf) {
    if (name.startsWith('tag:') && name.length > 4) {
      const key = name.slice(4);
      return (item) => {
        const tags = tagsOf(item);
        return Object.hasOwn(tags, key) ? [tags[key]] : [];
      };
    }
    if (name === 'tag-key') return (item) => Object.keys(tagsOf(item));
    if (name === 'tag-value') return (item) => Object.values(tagsOf(item));
  }
  throw invalidParameterValue(`The filter '${name}' is invalid`);
}

function wildcard(value: string): RegExp {
  let source = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) source += escapeRegExp(value[++i]);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'u');
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
