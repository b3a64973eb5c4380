import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const sealed = box.seal('wJalrXUtnFEMI/K7MDENG');
    expect(sealed).not.toContain('wJalrXUtnFEMI');
    expect(box.open(sealed)).toBe('wJalrXUtnFEMI/K7MDENG');
  });

  it('refuses a value sealed with another key or tampered with', () => {
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(box.seal('x'))).toThrow();
    const sealed = box.seal('secret');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).toThrow();
  });

  it('tells keys apart by their check value', () => {
    expect(box.matches(box.keyCheck())).toBe(true);
    expect(new SecretBox(randomBytes(32)).matches(box.keyCheck())).toBe(false);
  });
});
