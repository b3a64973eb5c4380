import { invalidParameterValue, missingParameter } from './ec2-api-error.js';

/**
 * The parameters of one EC2 Query API request (`Action=...&Version=...&...`).
 *
 * EC2 flattens lists as `Name.N` (`InstanceId.1`, `Filter.2.Value.1`); the generic AWS Query form
 * `Name.member.N` is accepted too. Indexes need not start at 1 or be contiguous; the order is numeric.
 */
export class QueryParams {
  private constructor(private readonly entries: ReadonlyMap<string, string>) {}

  static parse(...sources: URLSearchParams[]): QueryParams {
    const entries = new Map<string, string>();
    for (const source of sources) for (const [key, value] of source) entries.set(key, value);
    return new QueryParams(entries);
  }

  /** Every parameter's name, in the order sent. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  get(name: string): string | undefined {
    return this.entries.get(name);
  }

  require(name: string): string {
    const value = this.entries.get(name);
    if (value === undefined || value === '') throw missingParameter(name);
    return value;
  }

  /** An integer parameter; `undefined` when absent. */
  int(name: string, range: { min?: number; max?: number } = {}): number | undefined {
    const raw = this.entries.get(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    const { min = -Infinity, max = Infinity } = range;
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      const bounds = Number.isFinite(min) || Number.isFinite(max) ? ` (expected ${describeRange(min, max)})` : '';
      throw invalidParameterValue(`Value (${raw}) for parameter ${name} is invalid${bounds}`);
    }
    return value;
  }

  bool(name: string): boolean | undefined {
    const raw = this.entries.get(name);
    if (raw === undefined) return undefined;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw invalidParameterValue(`Value (${raw}) for parameter ${name} is invalid. Expected 'true' or 'false'.`);
  }

  /** A list of scalars: `Name.1=a&Name.2=b` -> `['a', 'b']`. */
  list(name: string): string[] {
    return this.indexed(name).flatMap(([, rest, value]) => (rest === '' ? [value] : []));
  }

  /** A list of structures: `Filter.1.Name=x&Filter.1.Value.1=y` -> one QueryParams per index. */
  structs(name: string): QueryParams[] {
    const groups = new Map<number, Map<string, string>>();
    for (const [index, rest, value] of this.indexed(name)) {
      if (rest === '') continue;
      let group = groups.get(index);
      if (!group) groups.set(index, (group = new Map()));
      group.set(rest, value);
    }
    return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => new QueryParams(group));
  }

  /** Entries `Name.N[.rest]` (or `Name.member.N[.rest]`) as [N, rest, value], sorted by N. */
  private indexed(name: string): Array<[number, string, string]> {
    const found: Array<[number, string, string]> = [];
    for (const [key, value] of this.entries) {
      for (const prefix of [`${name}.`, `${name}.member.`]) {
        if (!key.startsWith(prefix)) continue;
        const match = /^(\d+)(?:\.(.+))?$/.exec(key.slice(prefix.length));
        if (match) found.push([Number(match[1]), match[2] ?? '', value]);
      }
    }
    return found.sort((a, b) => a[0] - b[0]);
  }
}

function describeRange(min: number, max: number): string {
  if (Number.isFinite(min) && Number.isFinite(max)) return `an integer from ${min} to ${max}`;
  return Number.isFinite(min) ? `an integer of at least ${min}` : `an integer of at most ${max}`;
}

/** An EC2 filter as sent: `Filter.N.Name` and `Filter.N.Value.M`. */
export interface Ec2Filter {
  name: string;
  values: string[];
}

export function parseFilters(params: QueryParams): Ec2Filter[] {
  return params.structs('Filter').map((filter) => {
    const name = filter.require('Name');
    const values = filter.list('Value');
    if (values.length === 0) throw invalidParameterValue(`The filter '${name}' must have at least one value`);
    return { name, values };
  });
}

/** Tags as sent in `Tag.N.Key` / `Tag.N.Value`, validated like EC2 does. */
export function parseTags(params: QueryParams, listName = 'Tag'): Record<string, string> {
  const tags = new Map<string, string>();
  for (const tag of params.structs(listName)) {
    const key = tag.require('Key');
    const value = tag.get('Value') ?? '';
    if (key.length > 128) throw invalidParameterValue(`Tag key exceeds the maximum length of 128 characters`);
    if (value.length > 256) throw invalidParameterValue(`Tag value exceeds the maximum length of 256 characters`);
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
    }
    tags.set(key, value);
  }
  // fromEntries defines own properties, so even a key like "__proto__" stays a plain tag.
  return Object.fromEntries(tags);
}
