// Types of bench/table.mjs, for its spec (TypeScript does not read the .mjs files of bench/).

export interface Row {
  figure: string;
  skypool: number | null;
  unit: string;
  reference?: number;
  referenceName?: string;
  note?: string;
}

export interface Reference {
  unit: string;
  figure: string;
  value?: number;
  name?: string;
  unavailable?: string;
}

export interface Machine {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  quick?: boolean;
}

export function parseOutput(output: string): { rows: Row[]; lastLine: string };
export function rowsOf(bench: string, output: string): Row[];
export function whyFailed(errors: string): string;
export function unavailable(bench: string, why: string): Row;
export function withReference(rows: Row[], reference: Reference): Row[];
export function ratioOf(row: Row): string;
export function formatTable(rows: Row[], machine: Machine): string;
