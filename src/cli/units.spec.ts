import { describe, expect, it } from '@jest/globals';
import { UsageError } from './cli-error.js';
import { parseDuration, parseMemorySize, parseTag, parseWholeNumber } from './units.js';

describe('sizes and durations as people write them', () => {
  it('reads memory in MiB, with or without a unit', () => {
    expect(parseMemorySize('2048', '--memory')).toBe(2048);
    expect(parseMemorySize('2048MiB', '--memory')).toBe(2048);
    expect(parseMemorySize('4GiB', '--memory')).toBe(4096);
    expect(parseMemorySize('4G', '--memory')).toBe(4096);
    expect(parseMemorySize('1.5GiB', '--memory')).toBe(1536);
    expect(parseMemorySize('1TiB', '--memory')).toBe(1048576);
  });

  it('refuses a size it cannot read, naming the flag and the value', () => {
    expect(() => parseMemorySize('4 gigs', '--memory')).toThrow(new UsageError('--memory: expected a size such as 2048 (MiB), 2048MiB or 4GiB, got "4 gigs"'));
    expect(() => parseMemorySize('0', '--memory')).toThrow(UsageError);
    expect(() => parseMemorySize('1.3MiB', '--memory')).toThrow('not a whole number of MiB');
  });

  it('reads durations in seconds; a bare number in the unit the flag takes', () => {
    expect(parseDuration('90m', '--lease', 'h')).toBe(5400);
    expect(parseDuration('4h', '--lease', 'h')).toBe(14400);
    expect(parseDuration('3d', '--lease', 'h')).toBe(259200);
    expect(parseDuration('1h30m', '--lease', 'h')).toBe(5400);
    expect(parseDuration('8', '--lease', 'h')).toBe(28800);
    expect(parseDuration('1.5', '--lease', 'h')).toBe(5400);
    expect(parseDuration('3s', '--timeout', 's')).toBe(3);
    expect(parseDuration('30', '--timeout', 's')).toBe(30);
  });

  it('refuses a duration it cannot read', () => {
    expect(() => parseDuration('soon', '--lease', 'h')).toThrow('--lease: expected a duration such as 90m, 4h, 3d or a number of hours, got "soon"');
    expect(() => parseDuration('4hours', '--lease', 'h')).toThrow(UsageError);
    expect(() => parseDuration('h', '--timeout', 's')).toThrow('--timeout: expected a duration such as 90m, 4h, 3d, 30s or a number of seconds');
  });

  it('reads whole numbers from a minimum', () => {
    expect(parseWholeNumber('4', '--vcpus')).toBe(4);
    expect(parseWholeNumber('0', '--index', 0)).toBe(0);
    expect(() => parseWholeNumber('0', '--vcpus')).toThrow('--vcpus: expected a whole number from 1, got "0"');
    expect(() => parseWholeNumber('2.5', '--vcpus')).toThrow(UsageError);
  });
});

describe('--tag key=value', () => {
  it('splits at the first =: the value may be empty or hold = itself', () => {
    expect(parseTag('slurm:node=cloud3')).toEqual({ key: 'slurm:node', value: 'cloud3' });
    expect(parseTag('empty=')).toEqual({ key: 'empty', value: '' });
    expect(parseTag('query=a=b')).toEqual({ key: 'query', value: 'a=b' });
  });

  it('refuses a tag without a key or without =, naming the flag', () => {
    expect(() => parseTag('cloud3')).toThrow(new UsageError('--tag: expected key=value, e.g. slurm:node=cloud3, got "cloud3"'));
    expect(() => parseTag('=cloud3')).toThrow(UsageError);
  });
});
