/**
 * Exact products of a decimal number and an integer, for budgets, leases and home shares. A
 * number the API or the database gave us is read as the decimal it prints as (the shortest one
 * that reads back as the same double, i.e. what a client typed or `numeric` held), so
 * 4.15 x 60 is 249 here, not 249.00000000000003, and 10 x (1 - 0.9) is 1, not 0.999...
 */

interface Decimal {
  /** value = digits / denominator */
  digits: bigint;
  denominator: bigint;
}

function parseDecimal(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const [mantissa = '0', exponent = '0'] = String(x).split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(whole + fraction);
  return scale >= 0 ? { digits, denominator: 10n ** BigInt(scale) } : { digits: digits * 10n ** BigInt(-scale), denominator: 1n };
}

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
};

type ParsedDecimal = Decimal & { small: { digits: number; denominator: number } | null };

/** The few numbers this reads (home shares, budgets, lease lengths) recur in every allocator cycle. */
const parsed = new Map<number, ParsedDecimal>();
const PARSED_KEPT = 4096;
let last: { x: number; decimal: ParsedDecimal } | null = null;

function asDecimal(x: number): ParsedDecimal {
  // the allocator asks about one site's share several times in a row
  if (last !== null && Object.is(last.x, x)) return last.decimal;
  let decimal = parsed.get(x);
  if (!decimal) {
    const { digits, denominator } = parseDecimal(x);
    const small = Number.isSafeInteger(Number(digits)) && Number.isSafeInteger(Number(denominator)) ? { digits: Number(digits), denominator: Number(denominator) } : null;
    decimal = { digits, denominator, small };
    if (parsed.size < PARSED_KEPT) parsed.set(x, decimal);
  }
  last = { x, decimal };
  return decimal;
}

/** floor(x * factor), exactly; `factor` is a whole number. */
export function floorTimes(x: number, factor: number): number {
  const { digits, denominator, small } = asDecimal(x);
  if (small) {
    // integers below 2^53 divide exactly enough for floor to be right: no BigInt in the allocator's inner loop
    const product = small.digits * factor;
    if (Number.isSafeInteger(Math.abs(product) + small.denominator)) return Math.floor(product / small.denominator);
  }
  return Number(floorDiv(digits * BigInt(factor), denominator));
}

/** ceil(x * factor), exactly; `factor` is a whole number. */
export function ceilTimes(x: number, factor: number): number {
  // + 0: a product of zero is 0, not -0
  return -floorTimes(-x, factor) + 0;
}

export const MINUTES_PER_HOUR = 60;
export const MS_PER_HOUR = 3_600_000;

/**
 * Hours of budget, promise or lease as whole milliseconds, for comparing them exactly. Each is
 * one by construction (budgets left are whole minutes, promises and leases run to a millisecond
 * clock), so rounding drops only the binary noise of dividing by 3600 or multiplying by a
 * fractional lease (7 x 0.1 h is 0.7000000000000001 h in doubles; here 2,520,000 ms, as 0.7 h).
 */
export const wholeMs = (hours: number): number => Math.round(hours * MS_PER_HOUR);

/**
 * A budget in hours as whole unit-minutes (vCPU-minutes, GPU-minutes). Usage is charged in whole
 * minutes, so a budget with a fraction of a minute runs out exactly when its next whole minute
 * would: rounding it up changes nothing a charge can tell.
 */
export const budgetMinutes = (hours: number): number => ceilTimes(hours, MINUTES_PER_HOUR);
