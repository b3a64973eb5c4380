import { describe, expect, it } from '@jest/globals';
import { APEL_HEADER, apelMessage, apelRecord, measuredAt, RECORDS_PER_MESSAGE, type ApelMachine } from './apel.js';

const machine = (overrides: Partial<ApelMachine> = {}): ApelMachine => ({
  instanceId: '0191c1d2-0000-7000-8000-000000000001',
  siteName: 'umich',
  cloudComputeService: 'ec2.umich.example.edu',
  machineName: 'i-0abc',
  submittedBy: 'user:42',
  projectId: 'p-1',
  projectName: 'astro',
  image: 'ubuntu-22.04',
  vcpus: 4,
  memoryMib: 8192,
  publicIpCount: 1,
  startedAt: new Date('2026-10-31T23:00:00Z'),
  endedAt: null,
  windowEnd: new Date('2026-11-01T00:00:00Z'),
  ...overrides,
});
const fields = (m: ApelMachine, now: Date) => Object.fromEntries(apelRecord(m, now));

describe('APEL cloud records', () => {
  it("measures a month's record at its last second, so APEL files it under that month", () => {
    const now = new Date('2026-11-10T00:00:00Z');
    expect(measuredAt(machine(), now)).toEqual(new Date('2026-10-31T23:59:59Z'));
    expect(fields(machine(), now)).toMatchObject({ Status: 'started', EndTime: 'None', StartTime: String(Date.parse('2026-10-31T23:00:00Z') / 1000), WallDuration: '3599', CpuDuration: String(3599 * 4), CpuCount: '4', Memory: '8192' });
  });

  it('measures the current month now, and a machine that ended when it ended', () => {
    const now = new Date('2026-10-31T23:30:00.900Z');
    expect(fields(machine(), now).WallDuration).toBe('1800');
    const ended = machine({ endedAt: new Date('2026-10-31T23:10:00Z') });
    expect(fields(ended, now)).toMatchObject({ Status: 'completed', EndTime: String(Date.parse('2026-10-31T23:10:00Z') / 1000), WallDuration: '600' });
    // ended after the month: still running at the month's end
    expect(fields(machine({ endedAt: new Date('2026-11-02T00:00:00Z') }), new Date('2026-11-05T00:00:00Z'))).toMatchObject({ Status: 'started', WallDuration: '3599' });
  });

  it('carries every field of the v0.4 record, unknown ones as None, each on one line', () => {
    const record = apelRecord(machine({ projectName: 'two\nlines' }), new Date('2026-11-10T00:00:00Z'));
    expect(record.map(([key]) => key)).toEqual([
      'VMUUID', 'SiteName', 'CloudComputeService', 'MachineName', 'LocalUserId', 'LocalGroupId', 'GlobalUserName', 'FQAN', 'Status', 'StartTime', 'EndTime',
      'SuspendDuration', 'WallDuration', 'CpuDuration', 'CpuCount', 'NetworkType', 'NetworkInbound', 'NetworkOutbound', 'PublicIPCount', 'Memory', 'Disk', 'ImageId', 'CloudType',
    ]);
    const message = apelMessage([record]);
    expect(message).toContain('FQAN: two lines\n');
    expect(message).toContain('Disk: None\n');
  });

  it('makes a message of a page of records with the header once, or of none (the paging is tested with the export)', () => {
    const record = apelRecord(machine(), new Date('2026-11-10T00:00:00Z'));
    const message = apelMessage(Array.from({ length: RECORDS_PER_MESSAGE }, () => record));
    expect(message.split('\n').filter((line) => line === APEL_HEADER)).toHaveLength(1);
    expect(message.split('%%\n').length - 1).toBe(100);
    expect(apelMessage([])).toBe(`${APEL_HEADER}\n`);
  });
});
