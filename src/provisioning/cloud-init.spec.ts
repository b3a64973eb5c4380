import { describe, expect, it } from '@jest/globals';
import { buildUserData } from './cloud-init.js';

const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop';
const MERGE = "merge_how: 'list(append)+dict(no_replace,recurse_list)'";

/** The parts of a multi-part document, each as its headers and body. */
function partsOf(document: string): { headers: string; body: string }[] {
  const boundary = /boundary="?([^";\s]+)"?/.exec(document)![1]!;
  expect(document.trimEnd().endsWith(`--${boundary}--`)).toBe(true);
  return document
    .split(`--${boundary}--`)[0]!
    .split(`--${boundary}\n`)
    .slice(1)
    .map((part) => {
      const [headers, ...body] = part.split('\n\n');
      return { headers: headers!, body: body.join('\n\n') };
    });
}

describe('buildUserData', () => {
  it('passes the user data through when there is no key', () => {
    expect(buildUserData('#!/bin/sh\necho hi\n', null)).toBe('#!/bin/sh\necho hi\n');
    expect(buildUserData(null, null)).toBeUndefined();
  });

  it('writes a cloud-config with the key when there is no user data', () => {
    expect(buildUserData(null, key)).toBe(`#cloud-config\nssh_authorized_keys:\n  - "${key}"\n`);
  });

  it('merges the key and the user data as a multi-part MIME document, the key last', () => {
    const parts = partsOf(buildUserData('#!/bin/sh\necho hi', key)!);
    expect(parts.map((p) => /Content-Type: ([^;]+)/.exec(p.headers)![1])).toEqual(['text/x-shellscript', 'text/cloud-config']);
    expect(parts[0]!.body).toBe('#!/bin/sh\necho hi\n');
    expect(parts[1]!.body).toContain(key);
  });

  it("appends the key to a user cloud-config's own ssh_authorized_keys instead of replacing them", () => {
    const own = '#cloud-config\nssh_authorized_keys:\n  - ssh-rsa AAAAB3Nza colleague@lab\n';
    const parts = partsOf(buildUserData(own, key)!);
    expect(parts.map((p) => p.body)).toEqual([own, `#cloud-config\nssh_authorized_keys:\n  - "${key}"\n${MERGE}\n`]);
  });

  it('adds the key as one more part to user data that is already a multi-part document', () => {
    // As cloud-init's make-mime writes it: the boundary on a folded header line.
    const boundary = '===============2678395926447411347==';
    const own = [
      'Content-Type: multipart/mixed;',
      ` boundary="${boundary}"`,
      'MIME-Version: 1.0',
      '',
      `--${boundary}`,
      'Content-Type: text/cloud-config; charset="us-ascii"',
      '',
      '#cloud-config',
      'packages: [htop]',
      '',
      `--${boundary}`,
      'Content-Type: text/x-shellscript; charset="us-ascii"',
      '',
      '#!/bin/sh',
      'echo hi',
      '',
      `--${boundary}--`,
      '',
    ].join('\n');
    const merged = buildUserData(own, key)!;
    expect(merged.startsWith(own.slice(0, own.indexOf(`--${boundary}--`)))).toBe(true);
    expect(merged.match(/multipart\/mixed/g)).toHaveLength(1);
    const parts = partsOf(merged);
    expect(parts.map((p) => p.body.split('\n')[0])).toEqual(['#cloud-config', '#!/bin/sh', '#cloud-config']);
    expect(parts[2]!.body).toBe(`#cloud-config\nssh_authorized_keys:\n  - "${key}"\n${MERGE}\n`);
  });
});
