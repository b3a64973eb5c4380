import { describe, expect, it } from '@jest/globals';
import { formatMemory, loginUserOf, parseCount, parseMemory } from './format';

describe("the portal's reading of what people type", () => {
  it('reads memory as MiB, or with a unit', () => {
    expect(parseMemory('4096')).toBe(4096);
    expect(parseMemory('4 GiB')).toBe(4096);
    expect(parseMemory('4G')).toBe(4096);
    expect(parseMemory('1.5 GiB')).toBe(1536);
    expect(parseMemory('512 MiB')).toBe(512);
    expect(parseMemory('1 TiB')).toBe(1024 * 1024);
    expect(parseMemory(' 8 gb ')).toBe(8192);
  });

  it('refuses memory it cannot read, or that is not a whole number of MiB', () => {
    for (const text of ['', 'lots', '4 GB RAM', '-1', '0.5', '1e3', '4 PiB']) expect(parseMemory(text)).toBeUndefined();
  });

  it('reads counts as whole numbers only', () => {
    expect(parseCount('3')).toBe(3);
    expect(parseCount(' 12 ')).toBe(12);
    for (const text of ['', '2.5', 'two', '-1', '1e2']) expect(parseCount(text)).toBeUndefined();
  });

  it('shows memory in the largest unit that reads naturally', () => {
    expect(formatMemory(512)).toBe('512 MiB');
    expect(formatMemory(4096)).toBe('4 GiB');
    expect(formatMemory(1536)).toBe('1.5 GiB');
    expect(formatMemory(2 * 1024 * 1024)).toBe('2 TiB');
  });

  it("guesses the login of an image's usual cloud user, root when unknown", () => {
    expect(loginUserOf('ubuntu-22.04')).toBe('ubuntu');
    expect(loginUserOf('rocky-9')).toBe('rocky');
    expect(loginUserOf('almalinux-9')).toBe('almalinux');
    expect(loginUserOf('debian-12')).toBe('debian');
    expect(loginUserOf('rstudio-4')).toBe('root');
    expect(loginUserOf('cuda-12')).toBe('root');
  });
});
