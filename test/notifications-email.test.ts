import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { EmailDigests } from '../src/accounting/notifications/email-digests.js';
import { NotificationPreferences } from '../src/accounting/notifications/notification-preferences.service.js';
import { ManualClock } from '../src/common/clock.js';
import { User } from '../src/identity/entities/user.entity.js';
import type { Principal } from '../src/identity/principal.js';
import { startTestBroker, type TestBroker } from './helpers/broker.js';
import { projectWithAllocation, submitRequest } from './helpers/fixtures.js';
import { manualTime } from './helpers/manual-time.js';
import { databaseKind } from './helpers/test-database.js';

interface Mail {
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it is sent. */
async function smtpServer(): Promise<{ url: string; mails: Mail[]; stop(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, mails, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The mail's subject and its body, with quoted-printable soft line breaks undone. */
function read(mail: Mail): { subject: string; body: string } {
  const [head, ...rest] = mail.raw.split('\r\n\r\n');
  const subject = /^Subject: (.*(?:\r\n .*)*)$/m.exec(head!)?.[1]?.replace(/\r\n /g, ' ') ?? '';
  return { subject, body: rest.join('\r\n\r\n').replace(/=\r\n/g, '').replace(/=3D/g, '=') };
}

/**
 * E-mail digests through a real SMTP server: each person with a verified address gets one e-mail
 * per run with what happened in their projects since their last, without the kinds they turned
 * off, and none when nothing did.
 */
describe(`e-mail digests on the ${databaseKind} database`, () => {
  let t: TestBroker;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  const clock = new ManualClock(new Date('2026-11-03T09:00:00Z'));
  let project: string;
  let person: Principal;

  const digest = () => t.broker.app.get(EmailDigests).run();
  const time = manualTime(() => t, clock);
  async function failRequest(reason: string): Promise<void> {
    await time.fail(await submitRequest(t.admin, { projectId: project, image: 'ubuntu-22.04', vcpus: 1, memoryMiB: 2048, leaseHours: 1, sites: ['umich'] }), reason);
  }

  beforeAll(async () => {
    smtp = await smtpServer();
    const never = '0 0 0 1 1 *';
    t = await startTestBroker({ clock, env: { SMTP_URL: smtp.url, SKYPOOL_EMAIL_DIGEST_CRON: never, SKYPOOL_ALLOCATOR_CRON: never, SKYPOOL_WEBHOOK_CRON: never, SKYPOOL_ALLOCATOR_DEBOUNCE_MS: '60000' } });
    project = await projectWithAllocation(t.admin, { name: 'ocean', institution: 'University of Michigan' }, { vcpus: 8, memoryMiB: 65536 });
    const users = t.broker.app.get(DataSource).getRepository(User);
    const ada = await users.save({ issuer: 'https://idp.example.edu', subject: 'ada', email: 'ada@example.edu', emailVerified: true, displayName: 'Ada' });
    const eve = await users.save({ issuer: 'https://idp.example.edu', subject: 'eve', email: 'eve@example.edu', emailVerified: false });
    for (const member of [{ email: 'ada@example.edu' }, { userId: eve.id }]) {
      await t.admin.data('mutation($i: AddProjectMemberInput!) { addProjectMember(input: $i) { role } }', { i: { projectId: project, role: 'RESEARCHER', ...member } });
    }
    person = { id: `user:${ada.id}`, kind: 'user', name: 'Ada', grants: [{ role: 'RESEARCHER', projectId: project }] };
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await smtp?.stop();
  });

  it('sends each person one digest of what is new, without the kinds they turned off', async () => {
    await failRequest('first failure');
    await failRequest('second failure');
    clock.advance(2 * 60_000);
    await digest();
    expect(smtp.mails.map((m) => m.to)).toEqual([['ada@example.edu']]); // not eve: her address is not verified
    const first = read(smtp.mails[0]!);
    expect(first.subject).toBe('Skypool: 2 notifications');
    expect(first.body).toContain('Hello Ada,');
    expect(first.body).toMatch(/^2026-11-03 09:00 UTC {2}REQUEST_FAILED {2}request [0-9a-f-]{36} failed: first failure$/m);
    expect(first.body).toMatch(/failed: second failure$/m);

    await digest(); // nothing new: no e-mail
    expect(smtp.mails).toHaveLength(1);

    await t.broker.app.get(NotificationPreferences).set(person, 'REQUEST_FAILED', false);
    await failRequest('third failure');
    clock.advance(2 * 60_000);
    await digest();
    expect(smtp.mails).toHaveLength(1);

    await t.broker.app.get(NotificationPreferences).set(person, 'REQUEST_FAILED', true);
    await failRequest('fourth failure');
    clock.advance(2 * 60_000);
    await digest();
    expect(smtp.mails).toHaveLength(2);
    const second = read(smtp.mails[1]!);
    expect(second.subject).toMatch(/^Skypool: request [0-9a-f-]{36} failed: fourth failure$/);
    expect(second.body).not.toContain('third failure'); // turned off when it happened, and passed since
    expect(await t.broker.app.get(NotificationPreferences).of(person)).toContainEqual({ kind: 'REQUEST_FAILED', email: true });
  });
});
