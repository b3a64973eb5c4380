import { describe, expect, it } from '@jest/globals';
import { buildUserData } from './cloud-init.js';

const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop';

describe('buildUserData', () => {
  it('passes the user data through when there is no key', () => {
    expect(buildUserData('#!/bin/sh\necho hi\n', null)).toBe('#!/bin/sh\necho hi\n');
    expect(buildUserData(null, null)).toBeUndefined();
  });

  it('writes a cloud-config with the key when there is no user data', () => {
    expect(buildUserData(null, key)).toBe(`#cloud-config\nssh_authorized_keys:\n  - "${key}"\n`);
  });

  it('merges the key and the user data as a multi-part MIME document', () => {
    const out = buildUserData('#!/bin/sh\necho hi', key)!;
    const boundary = /boundary="([^"]+)"/.exec(out)![1]!;
    expect(out.split(`--${boundary}\n`)).toHaveLength(3);
    expect(out).toContain('Content-Type: text/cloud-config');
    expect(out).toContain('Content-Type: text/x-shellscript');
    expect(out).toContain(key);
    expect(out.trimEnd().endsWith(`--${boundary}--`)).toBe(true);
  });
});
