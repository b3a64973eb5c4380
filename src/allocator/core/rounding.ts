/** Hours and core-hours as people read them in reasons and messages: two decimals. */
export const round2 = (n: number): number => Math.round(n * 100) / 100;
