import { describe, expect, it } from '@jest/globals';
import type { DomainError } from '../common/errors.js';
import { MAX_NOTE_LENGTH, validNote, validTags } from './request-input.js';

/** The field an input check refused, and its message. */
function refusal(check: () => unknown): { field?: string; message: string } {
  try {
    check();
  } catch (err) {
    return { field: (err as DomainError).field, message: (err as Error).message };
  }
  throw new Error('accepted');
}

describe('validTags', () => {
  it('turns the list into a map; none given is no tags', () => {
    expect(validTags([{ key: 'slurm:cluster', value: 'hpc' }, { key: 'slurm:node', value: 'cloud3' }])).toEqual({ 'slurm:cluster': 'hpc', 'slurm:node': 'cloud3' });
    expect(validTags(null)).toEqual({});
    expect(validTags(undefined)).toEqual({});
  });

  it("takes what EC2 takes: letters of any script, digits, spaces and _.:/=+-@ in keys; any printable value, empty too", () => {
    const tags = validTags([
      { key: 'Name', value: '' },
      { key: 'a_b.c:d/e=f+g-h@i j', value: 'x'.repeat(256) },
      { key: 'k'.repeat(128), value: 'über 🚀' },
      { key: 'Größe', value: '42 GiB' },
      { key: '__proto__', value: 'a tag like any other' },
    ]);
    expect(Object.keys(tags)).toHaveLength(5);
    expect(Object.hasOwn(tags, '__proto__')).toBe(true);
  });

  it.each([
    ['more than 10', Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' })), 'tags', /at most 10 tags, got 11/],
    ['an empty key', [{ key: '', value: 'v' }], 'tags[0].key', /1 to 128 letters/],
    ['a key of 129 characters', [{ key: 'k'.repeat(129), value: 'v' }], 'tags[0].key', /1 to 128 letters/],
    ['a key with a comma', [{ key: 'ok', value: 'v' }, { key: 'a,b', value: 'v' }], 'tags[1].key', /1 to 128 letters/],
    ["Skypool's own key", [{ key: 'skypool:request', value: 'v' }], 'tags[0].key', /starting with skypool: are reserved/],
    ["AWS's, in any case", [{ key: 'AWS:cloudformation', value: 'v' }], 'tags[0].key', /starting with aws: are reserved/],
    ['a key given twice', [{ key: 'node', value: 'a' }, { key: 'x', value: 'b' }, { key: 'node', value: 'c' }], 'tags[2].key', /"node" is given twice/],
    ['a value of 257 characters', [{ key: 'k', value: 'v'.repeat(257) }], 'tags[0].value', /at most 256 characters/],
    ['a value with a line break', [{ key: 'k', value: 'a\nb' }], 'tags[0].value', /without control characters/],
    ['a value PostgreSQL cannot store', [{ key: 'k', value: 'a\ud800' }], 'tags[0].value', /lone surrogate/],
  ])('refuses %s, naming the field', (_what, tags, field, message) => {
    expect(refusal(() => validTags(tags))).toEqual({ field, message: expect.stringMatching(message) });
    expect(refusal(() => validTags(tags)).message.startsWith(`${field}: `)).toBe(true);
  });
});

describe('validNote', () => {
  it('takes one line of up to 1000 characters, tabs included', () => {
    expect(validNote('slurm resume: cloud3 of hpc at 10.0.0.7')).toBe('slurm resume: cloud3 of hpc at 10.0.0.7');
    expect(validNote('a\tb')).toBe('a\tb');
    expect(validNote('n'.repeat(MAX_NOTE_LENGTH))).toHaveLength(MAX_NOTE_LENGTH);
  });

  it.each([
    ['an empty note', '', /must not be empty/],
    ['blanks alone', '  \t', /must not be empty/],
    ['1001 characters', 'n'.repeat(MAX_NOTE_LENGTH + 1), /at most 1000 characters, got 1001/],
    ['a line break', 'one\ntwo', /no control characters but tab/],
    ['an escape sequence', 'red \u001b[31m', /no control characters but tab/],
    ['a NUL', 'a\u0000b', /NUL/],
  ])('refuses %s, naming the note', (_what, note, message) => {
    expect(refusal(() => validNote(note))).toEqual({ field: 'note', message: expect.stringMatching(message) });
  });
});
