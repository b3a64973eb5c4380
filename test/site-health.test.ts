import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ec2Emulator } from '../src/compute/emulator/index.js';
import { eventually, startTestBroker, type TestBroker } from './helpers/broker.js';
import { databaseKind } from './helpers/test-database.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';

/**
 * Scheduled health probes against sites that fail in different ways (over HTTP, through the
 * emulator's fault injection): the circuit opens after three failures in a row and the allocator
 * respects it, a success closes it, refused credentials open it at once, a site whose probe
 * hangs does not hold up the others, one deadline covers the whole probe, and a site that lacks
 * one of its instance types is DEGRADED (where it can list its types at all).
 */
const site = (name: string) => ({
  name,
  region: 'r1',
  accessKeyId: `AK${name.toUpperCase()}`,
  secretAccessKey: `secret-of-${name}`,
  instanceTypes: [{ name: 'm1.small', vcpus: 2, memoryMiB: 4096 }],
  images: [{ imageId: 'ami-00000042', name: 'ubuntu-22.04' }],
  pendingSeconds: 0,
});

interface Health {
  name: string;
  health: string;
  healthReport: { checkedAt: string | null; lastError: string | null; consecutiveFailures: number; circuitOpen: boolean };
}

describe(`site health probes on the ${databaseKind} database`, () => {
  let emulator: Ec2Emulator;
  let url: string;
  let t: TestBroker;
  let projectId: string;

  const health = async (name: string): Promise<Health> => {
    const { sites } = await t.admin.data('{ sites { name health healthReport { checkedAt lastError consecutiveFailures circuitOpen } } }');
    return sites.find((s: Health) => s.name === name);
  };
  const register = (name: string, { secret = `secret-of-${name}`, instanceTypes = '{ name: "m1.small", vcpus: 2, memoryMiB: 4096 }' } = {}) =>
    t.admin.data(`mutation { registerSite(input: { name: "${name}", institution: "Lab", endpoint: "${url}/${name}", region: "r1", accessKeyId: "AK${name.toUpperCase()}",
      secretAccessKey: "${secret}", capacity: { vcpus: 16, memoryMiB: 65536 }, instanceTypes: [${instanceTypes}],
      images: [{ image: "ubuntu-22.04", imageId: "ami-00000042" }] }) { health healthReport { lastError } } }`);

  beforeAll(async () => {
    emulator = new Ec2Emulator();
    for (const name of ['flaky', 'slow', 'locked', 'typed']) emulator.upsertSite(site(name));
    emulator.upsertSite({ ...site('untyped'), compatibility: { describeInstanceTypes: false } });
    // each call of a probe takes 60% of SKYPOOL_SITE_TIMEOUT_MS: every call is in time, the probe is not
    emulator.upsertSite({ ...site('lagging'), faults: { latencyMs: 6_000 } });
    url = await emulator.listen();
    t = await startTestBroker({
      sites: '',
      env: { SKYPOOL_HEALTH_CRON: '* * * * * *', SKYPOOL_SITE_TIMEOUT_MS: '10000', SKYPOOL_SITE_DOWN_AFTER: '3', SKYPOOL_ALLOCATOR_CRON: '* * * * * *' },
    });
    projectId = await projectWithAllocation(t.admin, { name: 'p', institution: 'Lab' }, { vcpus: 64, memoryMiB: 262144 });
  }, 60_000);

  afterAll(async () => {
    await emulator?.close();
    await t?.stop();
  });

  it('a site that answers is HEALTHY right after registration', async () => {
    expect((await register('flaky')).registerSite).toEqual({ health: 'HEALTHY', healthReport: { lastError: null } });
    expect((await register('slow')).registerSite.health).toBe('HEALTHY');
  });

  it('a site that lacks an instance type of its settings is DEGRADED; one that cannot list its types is not checked', async () => {
    const types = '{ name: "m1.small", vcpus: 2, memoryMiB: 4096 }, { name: "m1.xlarge", vcpus: 8, memoryMiB: 16384 }';
    expect((await register('typed', { instanceTypes: types })).registerSite).toEqual({
      health: 'DEGRADED',
      healthReport: { lastError: 'the site does not offer instance type m1.xlarge' },
    });
    // the emulator answers DescribeInstanceTypes there with InvalidAction, as OpenStack's ec2-api does
    expect((await register('untyped', { instanceTypes: types })).registerSite).toEqual({ health: 'HEALTHY', healthReport: { lastError: null } });
  });

  it('one deadline covers the whole probe, not each of its calls', async () => {
    expect((await register('lagging')).registerSite).toEqual({
      health: 'DEGRADED',
      healthReport: { lastError: 'site lagging did not answer the health probe within 10000 ms' },
    });
  }, 30_000);

  it('refused credentials take a site DOWN at once', async () => {
    const { registerSite } = await register('locked', { secret: 'not-the-secret' });
    expect(registerSite.health).toBe('DOWN');
    expect(registerSite.healthReport.lastError).toContain('AuthFailure');
  });

  it('opens the circuit after three failed probes, the allocator respects it, and a success closes it', async () => {
    emulator.setFaults('slow', { latencyMs: 60_000 }); // its probes now hang for longer than this test
    emulator.setFaults('flaky', { down: true });
    // a probe of slow that began before the fault may still be recorded: once flaky has failed (a
    // later round of probes), slow's record stays as it is until its hanging probe ends
    await eventually(async () => ((await health('flaky')).healthReport.consecutiveFailures >= 1 ? true : undefined), 'a first failed probe of flaky');
    const slowBefore = (await health('slow')).healthReport.checkedAt;

    const down = await eventually(async () => {
      const h = await health('flaky');
      return h.health === 'DOWN' ? h : undefined;
    }, 'flaky to go DOWN');
    expect(down.healthReport.circuitOpen).toBe(true);
    expect(down.healthReport.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(down.healthReport.lastError).toMatch(/flaky/);
    // flaky was probed three times on schedule while slow's first hanging probe has not ended
    expect((await health('slow')).healthReport.checkedAt).toBe(slowBefore);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('skypool_site_circuit_open{site="flaky"} 1');
    expect(metrics).toContain('skypool_site_health{site="flaky",state="DOWN"} 1');
    expect(metrics).toMatch(/skypool_site_call_failures_total\{site="flaky",category="transient"\} [3-9]/);

    const requestId = await submitRequest(t.admin, { projectId, image: 'ubuntu-22.04', vcpus: 2, memoryMiB: 4096, leaseHours: 1, sites: ['flaky'] });
    const request = async () => (await t.admin.data(`{ resourceRequest(id: "${requestId}") { state reason reasonCode } }`)).resourceRequest;
    const waiting = await eventually(async () => ((await request()).state === 'QUEUED' ? request() : undefined), 'the request to wait');
    expect(waiting).toMatchObject({ reasonCode: 'SITE_DOWN', reason: 'site flaky is DOWN' });
    expect(emulator.instances('flaky')).toEqual([]);

    emulator.setFaults('flaky', {});
    await eventually(async () => ((await health('flaky')).health === 'HEALTHY' ? true : undefined), 'flaky to be HEALTHY again');
    expect((await health('flaky')).healthReport).toMatchObject({ circuitOpen: false, consecutiveFailures: 0, lastError: null });
    await eventually(async () => ((await request()).state === 'RUNNING' ? true : undefined), 'the request to run on flaky', 40_000);
  }, 60_000);

  it('a probe that outlasts its deadline counts as a failure', async () => {
    // slow's hanging probe started above; with a 10 s deadline it ends as a TIMEOUT failure
    const h = await eventually(async () => {
      const s = await health('slow');
      return s.healthReport.lastError ? s : undefined;
    }, 'the slow probe to time out', 45_000);
    expect(h.health).toBe('DEGRADED');
    expect(h.healthReport.lastError).toBe('site slow did not answer the health probe within 10000 ms');
  }, 60_000);
});
