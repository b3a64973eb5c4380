/**
 * EGI's cloud accounting records (APEL, `APEL-cloud-message: v0.4`), as cASO sends them from an
 * OpenStack site: `Key: Value` lines per virtual machine, records ended by `%%`, at most 100 per
 * message. A record is cumulative since the machine started: APEL keeps each machine's latest
 * record per month and takes a month's usage as the difference to the month before, so there is
 * one record per machine and month it ran in, measured at the month's end (or when it ended, or
 * now). Fields Skypool does not know are sent as `None`, which APEL reads as empty.
 */

export const APEL_HEADER = 'APEL-cloud-message: v0.4';
export const RECORDS_PER_MESSAGE = 100;
const SECOND_MS = 1000;

/** One machine in one month of the period, with what its record is made of. */
export interface ApelMachine {
  instanceId: string;
  siteName: string;
  /** the site's EC2 endpoint host: which cloud of the site */
  cloudComputeService: string;
  /** the machine's id at the site, else Skypool's */
  machineName: string;
  /** who submitted its request (a Skypool principal id) */
  submittedBy: string;
  projectId: string;
  projectName: string;
  image: string;
  vcpus: number;
  memoryMib: number;
  publicIpCount: number;
  startedAt: Date;
  endedAt: Date | null;
  /** the end of the window it is reported for: the month's end, or the period's */
  windowEnd: Date;
}

const seconds = (moment: Date) => Math.floor(moment.getTime() / SECOND_MS);

/** When a record is measured: just inside its window (APEL files it under the month of StartTime + WallDuration), or when the machine ended, or now. */
export function measuredAt(machine: Pick<ApelMachine, 'endedAt' | 'windowEnd'>, now: Date): Date {
  const lastSecondOfWindow = new Date(machine.windowEnd.getTime() - SECOND_MS);
  const at = lastSecondOfWindow < now ? lastSecondOfWindow : now;
  return machine.endedAt && machine.endedAt <= at ? machine.endedAt : at;
}

/** The record's fields, in the order of EGI's table. */
export function apelRecord(machine: ApelMachine, now: Date): [string, string][] {
  const at = measuredAt(machine, now);
  const completed = machine.endedAt !== null && machine.endedAt <= at;
  const wallSeconds = Math.max(0, seconds(at) - seconds(machine.startedAt));
  return [
    ['VMUUID', machine.instanceId],
    ['SiteName', machine.siteName],
    ['CloudComputeService', machine.cloudComputeService],
    ['MachineName', machine.machineName],
    ['LocalUserId', machine.submittedBy],
    ['LocalGroupId', machine.projectId],
    ['GlobalUserName', machine.submittedBy],
    ['FQAN', machine.projectName],
    ['Status', completed ? 'completed' : 'started'],
    ['StartTime', String(seconds(machine.startedAt))],
    ['EndTime', completed ? String(seconds(machine.endedAt!)) : 'None'],
    ['SuspendDuration', '0'],
    ['WallDuration', String(wallSeconds)],
    // not measured: the wall time of every vCPU, as cASO estimates it too
    ['CpuDuration', String(wallSeconds * machine.vcpus)],
    ['CpuCount', String(machine.vcpus)],
    ['NetworkType', 'None'],
    ['NetworkInbound', 'None'],
    ['NetworkOutbound', 'None'],
    ['PublicIPCount', String(machine.publicIpCount)],
    ['Memory', String(machine.memoryMib)],
    ['Disk', 'None'],
    ['ImageId', machine.image],
    ['CloudType', 'Skypool'],
  ];
}

/** A value on one line: APEL's records are line-based, so a line break in a name must not start a field. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** One message of records (none: the header alone); the export pages them RECORDS_PER_MESSAGE at a time. */
export function apelMessage(records: [string, string][][]): string {
  const body = records.map((fields) => `${fields.map(([key, value]) => `${key}: ${oneLine(value)}\n`).join('')}%%\n`).join('');
  return `${APEL_HEADER}\n${body}`;
}
