import { Testing, TerraformStack } from 'cdktf';
import { show, utcTimeProblem } from '../../src/contract/rules';
import { KeyfactorValidationError, Validator } from '../../src/synth/validation';

function validator(kind = 'Thing'): Validator {
  return new Validator(new TerraformStack(Testing.app(), 'v'), kind);
}

/** The error `v.throwIfAny()` throws. */
function thrown(v: Validator): KeyfactorValidationError {
  try {
    v.throwIfAny();
  } catch (e) {
    return e as KeyfactorValidationError;
  }
  throw new Error('expected a validation error');
}

describe('Validator', () => {
  test('each check returns whether the value passed, so callers can skip checks that depend on it', () => {
    const v = validator();
    expect(v.guid('g', 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D')).toBe(true);
    expect(v.guid('g', 'nope')).toBe(false);
    expect(v.guid('g', 42)).toBe(false);
    expect(v.int('i', 5, 1, 5)).toBe(true);
    expect(v.int('i', 6, 1, 5)).toBe(false);
    expect(v.int('i', 0, 1)).toBe(false);
    expect(v.int('i', 2147483647, 1)).toBe(true);
    expect(v.int('i', 2147483648, 1)).toBe(false);
    expect(v.int('i', '3', 1)).toBe(false);
    expect(v.utcTime('t', '2026-01-01T00:00:00Z')).toBe(true);
    expect(v.utcTime('t', 'later')).toBe(false);
    expect(v.nonEmptyString('s', 'x')).toBe(true);
    expect(v.nonEmptyString('s', '  ')).toBe(false);
    expect(v.nonEmptyString('s', 'abc', 3)).toBe(true);
    expect(v.nonEmptyString('s', 'abcd', 3)).toBe(false);
    expect(thrown(v).message).toBe([
      'v: Thing has 9 invalid props:',
      '  - g: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "nope"',
      '  - g: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got 42',
      '  - i: must be an integer from 1 to 5, got 6',
      '  - i: must be an integer from 1 to 2147483647, got 0',
      '  - i: must be an integer from 1 to 2147483647, got 2147483648',
      '  - i: must be an integer from 1 to 2147483647, got "3"',
      '  - t: must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got "later"',
      '  - s: must be a non-empty string, got "  "',
      '  - s: must be at most 3 characters, got 4',
    ].join('\n'));
  });

  test('one error: the message names the path, the field and the construct kind; detail may contain ": "', () => {
    const v = validator('CertificateDeployment');
    v.fail('stores[0].alias', 'bad: really bad');
    const e = thrown(v);
    expect(e).toBeInstanceOf(KeyfactorValidationError);
    expect(e.name).toBe('KeyfactorValidationError');
    expect(e.message).toBe('v: stores[0].alias: bad: really bad (in CertificateDeployment)');
    expect(e).toMatchObject({ constructPath: 'v', field: 'stores[0].alias' });
  });

  test('several errors: the field of the error is the first one', () => {
    const v = validator();
    v.fail('first', 'x');
    v.fail('second', 'y');
    expect(thrown(v)).toMatchObject({ field: 'first', message: 'v: Thing has 2 invalid props:\n  - first: x\n  - second: y' });
  });

  test('no error, nothing thrown', () => {
    expect(() => validator().throwIfAny()).not.toThrow();
  });
});

describe('UTC times', () => {
  test.each([
    '2026-11-25T23:30:00Z',
    '2026-11-25T23:30Z',
    '2026-11-25T23:30:59.1Z',
    '2026-11-25T23:30:59.1234567Z',
    '2028-02-29T00:00:00Z',
    '2026-12-31T23:59:59Z',
  ])('%s is accepted', (time) => {
    expect(utcTimeProblem(time)).toBeUndefined();
  });

  const utc = (t: string) => `must be in UTC (end with "Z", no offset or local time), got ${JSON.stringify(t)}`;
  const iso = (t: string) => `must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got ${JSON.stringify(t)}`;
  const real = (t: string) => `is not a real date-time: ${JSON.stringify(t)}`;
  test.each([
    ['2026-11-25T23:30:00+02:00', utc],
    ['2026-11-25T23:30:00-0500', utc],
    ['2026-11-25T23:30:00+0000', utc],
    ['2026-11-25T23:30:00', utc],
    ['2026-11-25T23:30:00z', utc],
    ['2026-11-25T23:30:00Zx', utc],
    ['2026-11-25 23:30:00+01:00', utc],
    ['2026-11-25 23:30:00-0100', utc],
    ['2026-11-25T23:30:00ZZ', iso],
    ['2026-11-25T23:30:00+01:00Z', iso],
    ['2026-11-25 23:30:00Z', iso],
    ['2026-11-25T23:30:00.12345678Z', iso],
    ['2026-11-25T23:30:00.Z', iso],
    ['x2026-11-25T23:30:00Z', iso],
    ['2026-11-25T3:30:00Z', iso],
    ['2026-11-25', iso],
    ['2027-02-29T00:00:00Z', real],
    ['2026-04-31T00:00:00Z', real],
    ['2026-13-01T00:00:00Z', real],
    ['2026-11-25T24:00:00Z', real],
    ['2026-11-25T23:60:00Z', real],
    ['2026-11-25T23:30:60Z', real],
    ['0050-01-01T00:00:00Z', real],
  ])('%s is refused', (time, message) => {
    expect(utcTimeProblem(time)).toBe(message(time));
  });

  test('a value that is not a string', () => {
    expect(utcTimeProblem(20261125)).toBe('must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got 20261125');
    expect(utcTimeProblem(undefined)).toBe('must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got nothing');
  });
});

describe('show (how a bad value is quoted in a message)', () => {
  test.each([
    [undefined, 'nothing'],
    ['x', '"x"'],
    ['', '""'],
    [3, '3'],
    [null, 'null'],
    [{ a: [1] }, '{"a":[1]}'],
  ])('%j', (value, shown) => {
    expect(show(value)).toBe(shown);
  });

  test('values JSON cannot write', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(show(circular)).toBe('[object Object]');
    expect(show(() => 1)).toBe('() => 1');
    expect(show(Symbol('s'))).toBe('Symbol(s)');
  });
});
