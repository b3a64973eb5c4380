import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compressHostList, expandHostList, HostListError } from './hostlist.js';

describe('expandHostList', () => {
  it('expands ranges, lists and zero-padded numbers as scontrol show hostnames does', () => {
    expect(expandHostList('cloud[1-3,5],gpu[01-02]')).toEqual(['cloud1', 'cloud2', 'cloud3', 'cloud5', 'gpu01', 'gpu02']);
    expect(expandHostList('n[08-10]')).toEqual(['n08', 'n09', 'n10']);
    expect(expandHostList('login')).toEqual(['login']);
    expect(expandHostList('r[1-2]n[1-2]')).toEqual(['r1n1', 'r1n2', 'r2n1', 'r2n2']);
    expect(expandHostList('node[1-2]-ib')).toEqual(['node1-ib', 'node2-ib']);
  });

  it('names what is wrong with a list it cannot read', () => {
    expect(() => expandHostList('cloud[1-3')).toThrow(new HostListError('host list "cloud[1-3": a "[" without its "]" in "cloud[1-3"'));
    expect(() => expandHostList('cloud[3-1]')).toThrow('the range 3-1 runs backwards');
    expect(() => expandHostList('cloud[a-b]')).toThrow('[a-b] must hold numbers and ranges');
    expect(() => expandHostList('cloud1,,cloud2')).toThrow('an empty name');
    expect(() => expandHostList('n[1-99999999]')).toThrow('more than 65536 names');
  });
});

describe('compressHostList', () => {
  it('folds runs of numbers back into brackets', () => {
    expect(compressHostList(['cloud1', 'cloud2', 'cloud3', 'cloud5', 'gpu01', 'gpu02'])).toBe('cloud[1-3,5],gpu[01-02]');
    expect(compressHostList(['cloud3'])).toBe('cloud3');
    expect(compressHostList(['login', 'cloud2', 'cloud1'])).toBe('login,cloud[1-2]');
  });

  it('gives back the same names when expanded (any names, any order)', () => {
    const name = fc.tuple(fc.constantFrom('cloud', 'gpu', 'r1n', ''), fc.nat(120), fc.constantFrom(0, 2, 3), fc.constantFrom('', '-ib'));
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 30 }), (parts) => {
        const hosts = parts.map(([prefix, n, width, suffix]) => `${prefix}${String(n).padStart(width, '0')}${suffix}`);
        expect(new Set(expandHostList(compressHostList(hosts)))).toEqual(new Set(hosts));
      }),
    );
  });
});
