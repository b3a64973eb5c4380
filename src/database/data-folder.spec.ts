import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDataFolderPrivate } from './data-folder.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('makeDataFolderPrivate', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a missing data folder (and its parents) for the owner only', () => {
    root = mkdtempSync(join(tmpdir(), 'skypool-folder-'));
    const dataDir = join(root, 'a', 'data');
    makeDataFolderPrivate(dataDir);
    expect(mode(dataDir)).toBe('700');
  });

  it('tightens what the broker keeps there, however open it was, and leaves everything else alone', () => {
    root = mkdtempSync(join(tmpdir(), 'skypool-folder-'));
    const dataDir = join(root, 'data');
    mkdirSync(join(dataDir, 'pgdata', 'base', '5'), { recursive: true });
    const outside = join(root, 'outside.txt');
    const files = {
      token: join(dataDir, 'admin-token'),
      key: join(dataDir, 'secret.key'),
      state: join(dataDir, 'emulator-state.json'),
      relation: join(dataDir, 'pgdata', 'base', '5', '1259'),
      notes: join(dataDir, 'notes.txt'), // not the broker's
    };
    for (const file of [...Object.values(files), outside]) writeFileSync(file, 'x');
    symlinkSync(outside, join(dataDir, 'pgdata', 'link'));
    for (const folder of [dataDir, join(dataDir, 'pgdata'), join(dataDir, 'pgdata', 'base'), join(dataDir, 'pgdata', 'base', '5')]) chmodSync(folder, 0o777);
    for (const file of [...Object.values(files), outside]) chmodSync(file, 0o666);

    makeDataFolderPrivate(dataDir);

    expect([dataDir, join(dataDir, 'pgdata'), join(dataDir, 'pgdata', 'base', '5')].map(mode)).toEqual(['700', '700', '700']);
    expect([files.token, files.key, files.state, files.relation].map(mode)).toEqual(['600', '600', '600', '600']);
    expect(mode(files.notes)).toBe('666');
    expect(mode(outside)).toBe('666'); // the link in pgdata was not followed
  });
});
