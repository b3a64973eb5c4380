import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishKeyRotation, keyFile, nextKeyFile, rotateKeyFile } from './key-rotation.js';

const read = (file: string) => Buffer.from(readFileSync(file, 'utf8'), 'hex');
const oldKey = Buffer.alloc(32, 1);
const newKey = Buffer.alloc(32, 2);

describe('rotation of the generated key file', () => {
  it('moves the new key into place only after the re-seal succeeded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skypool-key-'));
    writeFileSync(keyFile(dir), oldKey.toString('hex'));
    await expect(rotateKeyFile(dir, newKey, () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(read(keyFile(dir))).toEqual(oldKey);
    expect(existsSync(nextKeyFile(dir))).toBe(false);
    expect(await rotateKeyFile(dir, newKey, () => Promise.resolve(3))).toBe(3);
    expect(read(keyFile(dir))).toEqual(newKey);
    expect(existsSync(nextKeyFile(dir))).toBe(false);
  });

  it('finishes an interrupted rotation when the new key is the one the database was sealed with', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skypool-key-'));
    writeFileSync(keyFile(dir), oldKey.toString('hex'));
    writeFileSync(nextKeyFile(dir), newKey.toString('hex'));
    expect(finishKeyRotation(dir, (key) => key.equals(oldKey), read)).toBeUndefined(); // re-seal never committed
    expect(read(keyFile(dir))).toEqual(oldKey);
    expect(finishKeyRotation(dir, (key) => key.equals(newKey), read)).toEqual(newKey);
    expect(read(keyFile(dir))).toEqual(newKey);
    expect(existsSync(nextKeyFile(dir))).toBe(false);
  });
});
