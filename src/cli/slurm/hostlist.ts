/**
 * Slurm's host lists, as slurmctld hands them to ResumeProgram and as slurm.conf takes them:
 * `cloud[1-3,5],gpu[01-02]` is cloud1, cloud2, cloud3, cloud5, gpu01, gpu02. A bracket holds
 * numbers and ranges; a range keeps the width of its first number (`[08-10]` is 08, 09, 10);
 * several brackets in one name multiply (`r[1-2]n[1-2]`), as `scontrol show hostnames` does.
 */

export class HostListError extends Error {}

/** At most this many names from one list: a typo such as `n[1-99999999]` must not eat the memory. */
const MAX_HOSTS = 65536;

export function expandHostList(list: string): string[] {
  const hosts: string[] = [];
  for (const entry of splitOutsideBrackets(list.trim())) {
    if (entry === '') throw new HostListError(`host list ${JSON.stringify(list)}: an empty name (two commas, or a comma at an end)`);
    for (const host of expandEntry(entry, list)) {
      hosts.push(host);
      if (hosts.length > MAX_HOSTS) throw new HostListError(`host list ${JSON.stringify(list)}: more than ${MAX_HOSTS} names`);
    }
  }
  return hosts;
}

/** Commas separate names, except inside brackets. */
function splitOutsideBrackets(list: string): string[] {
  const entries: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of list) {
    if (char === '[') depth++;
    if (char === ']') depth--;
    if (char === ',' && depth === 0) {
      entries.push(current);
      current = '';
    } else current += char;
  }
  entries.push(current);
  return entries;
}

function expandEntry(entry: string, list: string): string[] {
  const open = entry.indexOf('[');
  if (open < 0) {
    if (/[\]\s]/.test(entry)) throw new HostListError(`host list ${JSON.stringify(list)}: ${JSON.stringify(entry)} is not a host name`);
    return [entry];
  }
  const close = entry.indexOf(']', open);
  if (close < 0) throw new HostListError(`host list ${JSON.stringify(list)}: a "[" without its "]" in ${JSON.stringify(entry)}`);
  const prefix = entry.slice(0, open);
  const rest = expandEntry(entry.slice(close + 1), list);
  return numbersIn(entry.slice(open + 1, close), list).flatMap((number) => rest.map((suffix) => `${prefix}${number}${suffix}`));
}

/** `1-3,5` -> 1, 2, 3, 5; `08-10` -> 08, 09, 10. */
function numbersIn(ranges: string, list: string): string[] {
  return ranges.split(',').flatMap((range) => {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!match) throw new HostListError(`host list ${JSON.stringify(list)}: [${ranges}] must hold numbers and ranges such as 1-3,5`);
    const [, first, last = first] = match as unknown as [string, string, string | undefined];
    const from = Number(first);
    const to = Number(last);
    if (to < from) throw new HostListError(`host list ${JSON.stringify(list)}: the range ${range} runs backwards`);
    if (to - from >= MAX_HOSTS) throw new HostListError(`host list ${JSON.stringify(list)}: more than ${MAX_HOSTS} names`);
    const width = first.length;
    return Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(width, '0'));
  });
}

/**
 * The other way: names back into a short list (`cloud1,cloud2,cloud3` -> `cloud[1-3]`), in the
 * order of first appearance, for log lines and scontrol. Only a name's last number is folded, and
 * only with names of the same zero-padding, so that expanding the result gives the names back.
 */
export function compressHostList(hosts: readonly string[]): string {
  const groups: { prefix: string; width: number; numbers: number[]; suffix: string }[] = [];
  const order: (string | (typeof groups)[number])[] = [];
  for (const host of hosts) {
    const match = /^(.*?)(\d+)(\D*)$/.exec(host);
    if (!match) {
      order.push(host);
      continue;
    }
    const [, prefix, digits, suffix] = match as unknown as [string, string, string, string];
    const width = digits.startsWith('0') && digits.length > 1 ? digits.length : 0;
    let group = groups.find((g) => g.prefix === prefix && g.suffix === suffix && g.width === width);
    if (!group) {
      group = { prefix, width, numbers: [], suffix };
      groups.push(group);
      order.push(group);
    }
    group.numbers.push(Number(digits));
  }
  return order
    .map((item) => {
      if (typeof item === 'string') return item;
      const pad = (n: number) => String(n).padStart(item.width, '0');
      if (item.numbers.length === 1) return `${item.prefix}${pad(item.numbers[0]!)}${item.suffix}`;
      return `${item.prefix}[${ranges(item.numbers).map(([a, b]) => (a === b ? pad(a) : `${pad(a)}-${pad(b)}`)).join(',')}]${item.suffix}`;
    })
    .join(',');
}

/** Sorted, distinct numbers as runs: 1,2,3,5 -> [1,3],[5,5]. */
function ranges(numbers: number[]): [number, number][] {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}
