import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { csvField, csvLine } from '../../segments/audience/csv.js';
import { InvalidTraitsError } from '../../segments/audience/errors/invalid-traits-error.js';
import { parseTraitList } from '../../segments/audience/trait-selection.js';
import { exportedTraitValue } from '../../segments/audience/trait-hashing.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const keys = { emailKeys: ['email', 'work_email'], phoneKeys: ['phone'] };

describe('CSV', () => {
  test('plain fields stay as they are; commas, quotes, CR and LF are quoted with quotes doubled', () => {
    expect(csvField('ann')).toBe('ann');
    expect(csvField(' padded ')).toBe(' padded ');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });

  test('null is an empty field and the empty string is "", so the two stay apart', () => {
    expect(csvLine([null, '', 'x'])).toBe(',"",x\r\n');
  });
});

describe('trait list', () => {
  test('absent or empty selects none; names are trimmed', () => {
    expect(parseTraitList(undefined)).toEqual([]);
    expect(parseTraitList('')).toEqual([]);
    expect(parseTraitList(' email , first_name,address.city ')).toEqual(['email', 'first_name', 'address.city']);
  });

  test('bad names, repeats and too many traits are refused with the offending name', () => {
    expect(() => parseTraitList('email,')).toThrow(InvalidTraitsError);
    expect(() => parseTraitList('email,')).toThrow(/"" is not a trait name/);
    expect(() => parseTraitList("x'--")).toThrow(/"x'--" is not a trait name/);
    expect(() => parseTraitList('a,b,a')).toThrow(/"a" is listed twice/);
    expect(() => parseTraitList(Array.from({ length: 51 }, (_, i) => `t${i}`).join(','))).toThrow(/at most 50 traits; got 51/);
  });
});

describe('hashing', () => {
  test('email and phone traits become the SHA-256 hex of their normalised value', () => {
    expect(exportedTraitValue('email', '  Ann.Lee@Example.COM ', 'sha256', keys)).toBe(sha256('ann.lee@example.com'));
    expect(exportedTraitValue('work_email', 'BOB@corp.example', 'sha256', keys)).toBe(sha256('bob@corp.example'));
    expect(exportedTraitValue('phone', '+44 (0) 7700 900123', 'sha256', keys)).toBe(sha256('+447700900123'));
    expect(exportedTraitValue('phone', '0044 7700 900123', 'sha256', keys)).toBe(sha256('+447700900123'));
  });

  test('values that do not normalise become null rather than leave in clear; other traits and no hash are untouched', () => {
    expect(exportedTraitValue('email', 'not an email', 'sha256', keys)).toBeNull();
    expect(exportedTraitValue('phone', '12', 'sha256', keys)).toBeNull();
    expect(exportedTraitValue('email', null, 'sha256', keys)).toBeNull();
    expect(exportedTraitValue('first_name', 'Ann', 'sha256', keys)).toBe('Ann');
    expect(exportedTraitValue('email', ' Ann@X.io', undefined, keys)).toBe(' Ann@X.io');
  });
});
