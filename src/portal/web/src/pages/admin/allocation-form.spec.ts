import { describe, expect, it } from '@jest/globals';
import { allocationState, EMPTY_ALLOCATION, fieldsOf, grantInput, readAllocation, updateInput, type AllocationFields } from './allocation-form';

const form = (over: Partial<AllocationFields>): AllocationFields => ({ ...EMPTY_ALLOCATION, ...over });
const allocation = {
  id: 'a1',
  vcpus: 32,
  memoryMiB: 65536,
  gpus: 0,
  instances: null,
  coreHours: 1000,
  gpuHours: null,
  startsAt: null,
  endsAt: '2027-01-31T12:30:00.000Z',
  revokedAt: null,
  exhaustedAt: null,
  terminateAfterMinutes: null,
};

describe("the allocation form's reading", () => {
  it('reads a grant: what is empty is left out', () => {
    const { values, errors } = readAllocation(form({ vcpus: '8', memory: '16 GiB', coreHours: '12.5', endsOn: '2027-01-31' }));
    expect(errors).toEqual({});
    expect(grantInput('p1', values!)).toEqual({ projectId: 'p1', vcpus: 8, memoryMiB: 16384, coreHours: 12.5, endsAt: '2027-01-31T00:00:00.000Z' });
  });

  it('needs vCPUs and memory, and numbers where numbers go', () => {
    expect(readAllocation(form({ vcpus: '8' })).errors).toEqual({ memory: expect.stringContaining('give the memory') });
    expect(readAllocation(form({ memory: '1 GiB' })).errors).toEqual({ vcpus: expect.stringContaining('give the vCPUs') });
    const { errors } = readAllocation(form({ vcpus: 'eight', memory: 'lots', gpus: '1.5', coreHours: 'many' }));
    expect(Object.keys(errors).sort()).toEqual(['coreHours', 'gpus', 'memory', 'vcpus']);
  });

  it("leaves the range to the API: a negative count is sent, for the API's refusal to name the field", () => {
    expect(readAllocation(form({ vcpus: '-2', memory: '1024' })).values).toMatchObject({ vcpus: -2 });
  });

  it('changes only what was changed; an emptied budget or date is cleared', () => {
    const before = fieldsOf(allocation);
    expect(before).toMatchObject({ vcpus: '32', memory: '64 GiB', gpus: '', coreHours: '1000', endsOn: '2027-01-31' });
    // the end date not touched keeps its exact time: it is not sent
    const after = { ...before, vcpus: '48', coreHours: '' };
    expect(updateInput('a1', before, after, readAllocation(after).values!)).toEqual({ id: 'a1', vcpus: 48, coreHours: null });
    const later = { ...before, endsOn: '2027-03-01' };
    expect(updateInput('a1', before, later, readAllocation(later).values!)).toEqual({ id: 'a1', endsAt: '2027-03-01T00:00:00.000Z' });
  });

  it('says where an allocation stands', () => {
    const now = Date.parse('2026-12-03T00:00:00Z');
    expect(allocationState(allocation, now)).toBe('In force');
    expect(allocationState({ ...allocation, revokedAt: '2026-12-01T00:00:00Z' }, now)).toBe('Revoked');
    expect(allocationState({ ...allocation, endsAt: '2026-12-01T00:00:00Z' }, now)).toBe('Ended');
    expect(allocationState({ ...allocation, exhaustedAt: '2026-12-01T00:00:00Z' }, now)).toBe('Budget used up');
    expect(allocationState({ ...allocation, startsAt: '2027-01-01T00:00:00Z' }, now)).toBe('Not started');
  });
});
