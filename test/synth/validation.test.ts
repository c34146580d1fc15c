import { Testing, TerraformStack } from 'cdktf';
import { show, utcTimeProblem } from '../../src/contract/rules';
import { Validator } from '../../src/synth/validation';
import { synthErrors } from '../support/synth';

function validator(kind = 'Thing'): Validator {
  return new Validator(new TerraformStack(Testing.app(), 'v'), kind);
}

/** What synth reports after `v.report()`. */
function reported(v: Validator): string {
  expect(v.report()).toBe(false);
  return synthErrors((v as unknown as { scope: TerraformStack }).scope);
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
    expect(reported(v)).toBe([
      '[v] g: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "nope" (Thing)',
      '[v] g: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got 42 (Thing)',
      '[v] i: must be an integer from 1 to 5, got 6 (Thing)',
      '[v] i: must be an integer from 1 to 2147483647, got 0 (Thing)',
      '[v] i: must be an integer from 1 to 2147483647, got 2147483648 (Thing)',
      '[v] i: must be an integer from 1 to 2147483647, got "3" (Thing)',
      '[v] t: must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got "later" (Thing)',
      '[v] s: must be a non-empty string, got "  " (Thing)',
      '[v] s: must be at most 3 characters, got 4 (Thing)',
    ].join('\n'));
  });

  test('one line per problem: the path, the field, the problem (which may contain ": ") and the construct kind', () => {
    const v = validator('CertificateDeployment');
    v.fail('stores[0].alias', 'bad: really bad');
    v.fail('second', 'y');
    expect(reported(v)).toBe('[v] stores[0].alias: bad: really bad (CertificateDeployment)\n[v] second: y (CertificateDeployment)');
  });

  test('the problems carry no stack trace (cdktf-cli would print it under each line)', () => {
    const v = validator();
    v.fail('f', 'x');
    v.report();
    const [entry] = (v as unknown as { scope: TerraformStack }).scope.node.metadata;
    expect(entry).toMatchObject({ type: '@cdktf/error', data: 'f: x (Thing)' });
    expect(entry.trace).toBeUndefined();
  });

  test('no problem, nothing reported', () => {
    const v = validator();
    expect(v.report()).toBe(true);
    expect(synthErrors((v as unknown as { scope: TerraformStack }).scope)).toBe('');
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
