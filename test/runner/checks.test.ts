import { SPEC_ENV } from '../../src/contract/environment';
import { DeferredCheck } from '../../src/contract/rules';
import { canonicalJson } from '../../src/contract/spec';
import { Ledger } from '../../src/ledger';
import { checkEvaluated } from '../../src/runner/checks';
import { KeyfactorSimulator } from '../../src/simulator';
import { caseVariant } from '../support/guid';
import { basicEnv, deploymentSpec, MIXED, runInProcess, S1, startSim, tempDir } from '../support/runtime';

/** Props that were references at synth, checked by the runner on what Terraform evaluated. */
const certificateIdCheck: DeferredCheck = { field: 'certificateId', at: 'certificateId', rule: 'int', min: 1, max: 2147483647 };
const storeCheck: DeferredCheck = { field: 'stores[0].certificateStoreId', at: 'store.certificateStoreId', rule: 'guid' };

describe('checks on evaluated values', () => {
  test('a spec without checks is handed on as it is', () => {
    const spec = deploymentSpec('web');
    expect(checkEvaluated(spec)).toEqual({ spec, problems: [] });
  });

  test('values are brought to the form synth gives literals: integers from digits, GUIDs in lower case, booleans from words', () => {
    const spec = deploymentSpec('web', {
      certificateId: '42' as any,
      store: { certificateStoreId: caseVariant(MIXED), alias: 'web', overwrite: 'true' as any },
      checks: [certificateIdCheck, storeCheck, { field: 'stores[0].overwrite', at: 'store.overwrite', rule: 'boolean' }],
    });
    const { spec: out, problems } = checkEvaluated(spec);
    expect(problems).toEqual([]);
    expect(out).toMatchObject({ certificateId: 42, store: { certificateStoreId: MIXED, overwrite: true } });
    expect(spec.certificateId).toBe('42'); // the input is left alone
  });

  test.each<[string, DeferredCheck, unknown, string]>([
    ['a fraction', certificateIdCheck, '4.2', 'must be an integer from 1 to 2147483647, got "4.2"'],
    ['zero', certificateIdCheck, 0, 'must be an integer from 1 to 2147483647, got 0'],
    ['null (an unset reference)', certificateIdCheck, null, 'must be an integer from 1 to 2147483647, got null'],
    ['too many digits', certificateIdCheck, '99999999999', 'must be an integer from 1 to 2147483647, got "99999999999"'],
    ['not a GUID', { ...storeCheck, field: 'certificateId', at: 'certificateId' }, 'abc', 'must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "abc"'],
    ['an empty string', { field: 'alias', at: 'certificateId', rule: 'nonEmptyString', max: 4 }, ' ', 'must be a non-empty string, got " "'],
    ['too long', { field: 'alias', at: 'certificateId', rule: 'nonEmptyString', max: 4 }, 'abcde', 'must be at most 4 characters, got 5'],
    ['a local time', { field: 'jobTime', at: 'certificateId', rule: 'utcTime' }, '2026-11-25T23:30:00', 'must be in UTC (end with "Z", no offset or local time), got "2026-11-25T23:30:00"'],
    ['not a time of day', { field: 'schedule.time', at: 'certificateId', rule: 'timeOfDay' }, '24:00', 'must be a UTC time of day like 03:00 or 23:30:00'],
    ['not a DN', { field: 'subjectName', at: 'certificateId', rule: 'distinguishedName' }, 'web', 'is not a valid X.500 distinguished name'],
    ['a bad SAN', { field: 'sans[0]', at: 'certificateId', rule: 'san', kind: 'ip4' }, '10.0.0.256', 'ip4 "10.0.0.256": must be an IPv4 address'],
    ['an unknown rule (a newer library)', { field: 'x', at: 'certificateId', rule: 'shiny' as any }, 1, 'cannot be checked: unknown rule "shiny"; is the runner older'],
  ])('refused: %s', (_, check, value, detail) => {
    const { problems } = checkEvaluated(deploymentSpec('web', { certificateId: value as any, checks: [check] }));
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe(check.field);
    expect(problems[0].detail.startsWith(detail)).toBe(true);
  });

  test('a recurring schedule\'s time of day from a reference is sent as the date-time synth gives a literal one', () => {
    const spec = deploymentSpec('web', {
      schedule: { Daily: { Time: '3:05' } } as any,
      checks: [{ field: 'schedule.time', at: 'schedule.Daily.Time', rule: 'timeOfDay' }],
    });
    const { spec: out, problems } = checkEvaluated(spec);
    expect(problems).toEqual([]);
    expect(out.schedule).toEqual({ Daily: { Time: '1970-01-01T03:05:00Z' } });
  });

  test('a value that must differ from another is compared after both are normalized', () => {
    const spec = { ...deploymentSpec('web'), existingCertificateId: 7, certificateId: '7' as any };
    const differs: DeferredCheck = { field: 'certificateId', at: 'certificateId', rule: 'differs', other: 'existingCertificateId', otherField: 'existingCertificateId', kind: 'certificate', hint: 'give the newly enrolled certificate' };
    expect(checkEvaluated({ ...spec, checks: [differs, certificateIdCheck] }).problems).toEqual([
      { field: 'certificateId', detail: 'is the same certificate as existingCertificateId (7); give the newly enrolled certificate' },
    ]);
    expect(checkEvaluated({ ...spec, certificateId: '8' as any, checks: [differs, certificateIdCheck] }).problems).toEqual([]);
  });
});

describe('the runner refuses an invalid evaluated value before sending anything', () => {
  let sim: KeyfactorSimulator;
  beforeAll(async () => (sim = await startSim()));
  afterAll(async () => sim.stop());
  beforeEach(() => sim.reset());

  const invalid = deploymentSpec('web', { certificateId: 0, store: { certificateStoreId: 'nope', alias: 'web' }, checks: [certificateIdCheck, storeCheck] });

  test('create fails naming the construct and every prop, with nothing sent and no ledger record', async () => {
    const dir = tempDir('kf-checks-');
    const { code, output } = await runInProcess(basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: dir, [SPEC_ENV]: canonicalJson(invalid) }));
    expect(code).toBe(1);
    expect(output).toBe(`cdktf-keyfactor: CertificateDeployment t/web [${S1}]: create failed: t/web: CertificateDeployment has 2 invalid props:` +
      '\n  - certificateId: must be an integer from 1 to 2147483647, got 0' +
      '\n  - stores[0].certificateStoreId: must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "nope". ' +
      'Terraform evaluated these values at apply, so they are checked now; nothing was sent to Keyfactor Command.\n');
    expect(sim.requests).toEqual([]);
    expect(Ledger.read(dir)).toEqual([]);
  });

  test('destroy (or the undo registry) of an instance refused at create has nothing to undo', async () => {
    for (const phase of ['destroy', 'orphan']) {
      const { code, output } = await runInProcess(basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-checks-'), [SPEC_ENV]: canonicalJson(invalid) }), phase);
      expect(code).toBe(0);
      expect(output).toMatch(new RegExp(`${phase}: nothing to undo, its create was refused: t/web: CertificateDeployment has 2 invalid props`));
    }
    expect(sim.requests).toEqual([]);
  });

  test('a valid evaluated value is sent in the form a literal would be', async () => {
    const spec = deploymentSpec('web', { key: MIXED, certificateId: '3' as any, store: { certificateStoreId: caseVariant(MIXED), alias: 'web' }, checks: [certificateIdCheck, storeCheck] });
    const { code } = await runInProcess(basicEnv(sim, { CDKTF_KEYFACTOR_LEDGER_DIR: tempDir('kf-checks-'), [SPEC_ENV]: canonicalJson(spec) }));
    expect(code).toBe(0);
    expect(sim.received('POST', '/CertificateStores/Certificates/Add').map((r) => r.body)).toEqual([
      expect.objectContaining({ CertificateId: 3, CertificateStores: [expect.objectContaining({ CertificateStoreId: MIXED, Alias: 'web' })] }),
    ]);
  });
});
