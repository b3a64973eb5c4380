import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { isDeadHere } from './placement-claims.js';

describe('isDeadHere', () => {
  const here = { host: hostname(), pidNamespace: '4026531836' };
  const gone = spawnSync(process.execPath, ['-e', '0']).pid; // a process that has exited

  it('takes a claim of a process of this machine and pid namespace that no longer runs as dead', () => {
    expect(isDeadHere(`${here.host}:${here.pidNamespace}:${gone}:abcd1234`, here)).toBe(true);
  });

  it('counts every other claim as alive: a running pid, another machine or pid namespace, an unknown format', () => {
    expect(isDeadHere(`${here.host}:${here.pidNamespace}:${process.pid}:abcd1234`, here)).toBe(false);
    expect(isDeadHere(`elsewhere:${here.pidNamespace}:${gone}:abcd1234`, here)).toBe(false);
    expect(isDeadHere(`${here.host}:4026532000:${gone}:abcd1234`, here)).toBe(false);
    expect(isDeadHere(`${here.host}:${gone}:abcd1234`, here)).toBe(false); // the format before the pid namespace was in it
    expect(isDeadHere(`${here.host}:-:${gone}:abcd1234`, { host: here.host, pidNamespace: '-' })).toBe(false);
  });
});
