import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { clientToken, instanceTags } from './site-tags.js';

describe('clientToken', () => {
  // Site and request ids are random (v4) uuids, as the database makes them.
  const request = randomUUID();
  const site = randomUUID();

  it('is at most 64 printable ASCII characters, as EC2 requires, even for the largest attempt number', () => {
    for (const attempt of [0, 1, 2 ** 31 - 1]) {
      const token = clientToken(request, attempt, site);
      expect(token.length).toBeLessThanOrEqual(64);
      expect(token).toMatch(/^[\x21-\x7e]+$/);
    }
  });

  it('is the same for every retry of one attempt at one site, and another when the request, the attempt or the site changes', () => {
    const token = clientToken(request, 3, site);
    expect(clientToken(request, 3, site)).toBe(token);
    const others = [clientToken(randomUUID(), 3, site), clientToken(request, 4, site), clientToken(request, 3, randomUUID())];
    expect(new Set([token, ...others]).size).toBe(4);
  });
});

describe('instanceTags', () => {
  it("carries the request's own tags beside Skypool's, and Skypool's keys win", () => {
    const request = { id: 'r1', projectId: 'p1', tags: { 'slurm:node': 'cloud3', 'skypool:request': 'not this' } };
    expect(instanceTags('b1', request, 2)).toEqual({ 'slurm:node': 'cloud3', 'skypool:request': 'r1', 'skypool:project': 'p1', 'skypool:broker': 'b1', 'skypool:attempt': '2' });
  });
});
