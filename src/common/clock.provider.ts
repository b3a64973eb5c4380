/** Injection token for the Clock; the app binds systemClock, tests may bind a ManualClock. */
export const CLOCK = Symbol('CLOCK');
