/**
 * A CSV cell: quoted where it holds a comma, quote or line break; a leading = + - @ is defused
 * with a ' (image and project names are the users' own text, and spreadsheets run formulas).
 */
export function csvCell(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}
