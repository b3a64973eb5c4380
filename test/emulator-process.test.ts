import { afterAll, describe, expect, it } from '@jest/globals';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { listSite } from './helpers/invariants.js';

/**
 * A `skypool emulate` site is a stand-in for a real cloud, and a real cloud never forgets an
 * instance it has acknowledged: killed with SIGKILL right after RunInstances answered, and started
 * again on the same state file, the site still has it. (Needs `npm run build`.)
 */
describe('a `skypool emulate` site process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skypool-emulate-'));
  const running: EmulatorProcess[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const site = {
    name: 'durable-lab',
    vcpus: 64,
    instanceTypes: [{ name: 'm1.small', vcpus: 1, memoryMiB: 2048 }],
    images: [{ image: 'ubuntu-22.04', imageId: 'ami-00000042' }],
    stateFile: join(dir, 'state', 'durable-lab.json'),
  };
  const start = async () => {
    const emulator = await startEmulatorProcess(dir, site);
    running.push(emulator);
    return emulator;
  };
  const clientOf = (emulator: EmulatorProcess) => {
    const descriptor = parse(readFileSync(emulator.brokerDescriptor, 'utf8')) as { region: string; accessKeyId: string; secretAccessKey: string };
    return new EC2Client({
      endpoint: emulator.endpoint,
      region: descriptor.region,
      credentials: { accessKeyId: descriptor.accessKeyId, secretAccessKey: descriptor.secretAccessKey },
      maxAttempts: 1,
    });
  };

  it('keeps an instance it acknowledged through a SIGKILL right after the answer', async () => {
    const first = await start();
    const client = clientOf(first);
    const acknowledged: string[] = [];
    try {
      // several calls at once, so that their writes are shared, then the kill the moment the last is answered
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          client.send(new RunInstancesCommand({ ImageId: 'ami-00000042', InstanceType: 'm1.small' as _InstanceType, MinCount: 1, MaxCount: 1, ClientToken: `kill-test-${i}` })),
        ),
      );
      acknowledged.push(...answers.flatMap((answer) => answer.Instances!.map((instance) => instance.InstanceId!)));
      await first.kill();
    } finally {
      client.destroy();
    }
    expect(acknowledged).toHaveLength(5);
    expect(statSync(site.stateFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);

    const second = await start();
    const again = clientOf(second);
    try {
      const listed = await listSite(second.base, site.name);
      expect(listed.map((instance) => instance.instanceId).sort()).toEqual([...acknowledged].sort());
      const described = await again.send(new DescribeInstancesCommand({}));
      expect(described.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId)).sort()).toEqual([...acknowledged].sort());
      for (const instance of listed) expect((instance as unknown as { privateIp: string }).privateIp).toMatch(/^127\./);
    } finally {
      again.destroy();
    }
  }, 60_000);

  it('keeps its instance listing to callers with the admin token', async () => {
    const emulator = running[running.length - 1]!;
    expect((await fetch(`${emulator.base}/${site.name}/instances`)).status).toBe(401);
  });
});
