import type { AdminAllocationFieldsFragment, GrantAllocationInput, UpdateAllocationInput } from '../../api/generated';
import { formatMemory, parseMemory } from '../../format';

/** The allocation form as typed: every field a string, dates as the date fields give them (YYYY-MM-DD). */
export interface AllocationFields {
  vcpus: string;
  memory: string;
  gpus: string;
  instances: string;
  coreHours: string;
  gpuHours: string;
  startsOn: string;
  endsOn: string;
  terminateAfterMinutes: string;
}

export type AllocationField = keyof AllocationFields;
export type AllocationErrors = Partial<Record<AllocationField, string>>;

export const EMPTY_ALLOCATION: AllocationFields = { vcpus: '', memory: '', gpus: '', instances: '', coreHours: '', gpuHours: '', startsOn: '', endsOn: '', terminateAfterMinutes: '' };

/** Where the API's input fields (named by its refusals' extensions.field) are on this form. */
export const FIELD_OF_INPUT: Record<string, AllocationField> = {
  vcpus: 'vcpus',
  memoryMiB: 'memory',
  gpus: 'gpus',
  instances: 'instances',
  coreHours: 'coreHours',
  gpuHours: 'gpuHours',
  startsAt: 'startsOn',
  endsAt: 'endsOn',
  terminateAfterMinutes: 'terminateAfterMinutes',
};

/** The values the API takes; null: left empty (no limit, no budget, no date). */
interface AllocationValues {
  vcpus: number;
  memoryMiB: number;
  gpus: number | null;
  instances: number | null;
  coreHours: number | null;
  gpuHours: number | null;
  startsAt: string | null;
  endsAt: string | null;
  terminateAfterMinutes: number | null;
}

const WHOLE = /^\s*-?\d+\s*$/;
const DECIMAL = /^\s*-?\d+(\.\d+)?\s*$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The fields read as numbers and dates, or what cannot be read, per field. Only the form is
 * checked here (a number where a number goes, the limits given); what the numbers may be (not
 * negative, an end after the start) is the API's to say, and its refusal goes next to the field.
 */
export function readAllocation(f: AllocationFields): { values?: AllocationValues; errors: AllocationErrors } {
  const errors: AllocationErrors = {};
  const whole = (name: AllocationField, required: string | undefined, problem: string): number | null => {
    const text = f[name];
    if (!text.trim()) {
      if (required) errors[name] = required;
      return null;
    }
    if (!WHOLE.test(text)) errors[name] = problem;
    return Number(text);
  };
  const hours = (name: AllocationField): number | null => {
    const text = f[name];
    if (!text.trim()) return null;
    if (!DECIMAL.test(text)) errors[name] = 'hours as a number, such as 1000 or 12.5; empty: no budget';
    return Number(text);
  };
  const day = (name: AllocationField): string | null => {
    const text = f[name];
    if (!text) return null;
    if (!DAY.test(text)) errors[name] = 'a day, such as 2027-01-31';
    return `${text}T00:00:00.000Z`;
  };

  const vcpus = whole('vcpus', 'give the vCPUs it allows at once', 'a whole number of vCPUs');
  let memoryMiB: number | null = null;
  if (!f.memory.trim()) errors.memory = 'give the memory it allows at once: MiB, or with a unit (64 GiB)';
  else {
    memoryMiB = parseMemory(f.memory) ?? null;
    if (memoryMiB === null) errors.memory = 'MiB, or a number with a unit: 65536, 64 GiB, 512 MiB';
  }
  const values = {
    gpus: whole('gpus', undefined, 'a whole number of GPUs; empty: none'),
    instances: whole('instances', undefined, 'a whole number of instances; empty: no limit'),
    coreHours: hours('coreHours'),
    gpuHours: hours('gpuHours'),
    startsAt: day('startsOn'),
    endsAt: day('endsOn'),
    terminateAfterMinutes: whole('terminateAfterMinutes', undefined, 'a whole number of minutes; empty: running leases finish'),
  };
  if (Object.keys(errors).length > 0 || vcpus === null || memoryMiB === null) return { errors };
  return { values: { vcpus, memoryMiB, ...values }, errors };
}

/** A new allocation for the project: what was left empty is left out (no limit, no budget, no date). */
export function grantInput(projectId: string, values: AllocationValues): GrantAllocationInput {
  const input: GrantAllocationInput = { projectId, vcpus: values.vcpus, memoryMiB: values.memoryMiB };
  for (const key of ['gpus', 'instances', 'coreHours', 'gpuHours', 'startsAt', 'endsAt', 'terminateAfterMinutes'] as const) {
    if (values[key] !== null) Object.assign(input, { [key]: values[key] });
  }
  return input;
}

/** The form of an allocation as it is, to change it. */
export function fieldsOf(a: AdminAllocationFieldsFragment): AllocationFields {
  const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
  // memory as people write it, when that reads back exactly
  const memory = parseMemory(formatMemory(a.memoryMiB)) === a.memoryMiB ? formatMemory(a.memoryMiB) : String(a.memoryMiB);
  return {
    vcpus: String(a.vcpus),
    memory,
    gpus: a.gpus ? String(a.gpus) : '',
    instances: text(a.instances),
    coreHours: text(a.coreHours),
    gpuHours: text(a.gpuHours),
    startsOn: dayOf(a.startsAt),
    endsOn: dayOf(a.endsAt),
    terminateAfterMinutes: text(a.terminateAfterMinutes),
  };
}

/** The UTC day of a moment, as a date field shows it; '' for none. */
export function dayOf(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().slice(0, 10) : '';
}

/**
 * What changed, as updateAllocation takes it: only the fields that differ from the allocation as it
 * was (a date not touched keeps its exact time); an emptied field is null, which clears it.
 */
export function updateInput(id: string, before: AllocationFields, after: AllocationFields, values: AllocationValues): UpdateAllocationInput {
  const input: UpdateAllocationInput = { id };
  const changed = (name: AllocationField) => before[name].trim() !== after[name].trim();
  if (changed('vcpus')) input.vcpus = values.vcpus;
  if (changed('memory')) input.memoryMiB = values.memoryMiB;
  if (changed('gpus')) input.gpus = values.gpus ?? 0;
  if (changed('instances')) input.instances = values.instances;
  if (changed('coreHours')) input.coreHours = values.coreHours;
  if (changed('gpuHours')) input.gpuHours = values.gpuHours;
  if (changed('startsOn')) input.startsAt = values.startsAt;
  if (changed('endsOn')) input.endsAt = values.endsAt;
  if (changed('terminateAfterMinutes')) input.terminateAfterMinutes = values.terminateAfterMinutes;
  return input;
}

/** Where an allocation stands now, in words. */
export function allocationState(a: AdminAllocationFieldsFragment, now: number): string {
  if (a.revokedAt) return 'Revoked';
  if (a.endsAt && Date.parse(a.endsAt) <= now) return 'Ended';
  if (a.exhaustedAt) return 'Budget used up';
  if (a.startsAt && Date.parse(a.startsAt) > now) return 'Not started';
  return 'In force';
}
