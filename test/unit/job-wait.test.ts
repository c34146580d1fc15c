import { Testing, TerraformStack } from 'cdktf';
import { CertificateDeployment, KeyfactorDefaults, Schedule, WaitPolicy } from '../../src';
import { jobIdQueries, notDueReason, stateOf } from '../../src/runner/job-wait';

const guid = (i: number) => `aaaaaaaa-bbbb-4ccc-8ddd-${String(i).padStart(12, '0')}`;

describe('JobHistory query building', () => {
  test('20 GUIDs fit in one query under the default limit', () => {
    const ids = Array.from({ length: 20 }, (_, i) => guid(i));
    const queries = jobIdQueries(ids, 2000);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toBe(ids.map((id) => `JobId -eq "${id}"`).join(' OR '));
  });

  test('splits only when the encoded query would exceed the limit, keeping every GUID once', () => {
    const ids = Array.from({ length: 200 }, (_, i) => guid(i));
    const queries = jobIdQueries(ids, 2000);
    expect(queries.length).toBe(Math.ceil(200 / Math.floor(2000 / encodeURIComponent(` OR JobId -eq "${guid(0)}"`).length)));
    for (const q of queries) expect(encodeURIComponent(q).length).toBeLessThanOrEqual(2000);
    expect(queries.join(' OR ').match(/JobId -eq "[^"]+"/g)).toEqual(ids.map((id) => `JobId -eq "${id}"`));
  });
});

describe('job states', () => {
  test.each([
    [undefined, 'pending'],
    [{ Status: 1, Result: 1 }, 'pending'],
    [{ Status: 2, Result: 1 }, 'pending'],
    [{ Status: 5, Result: 4 }, 'retrying'],
    [{ Status: 3, Result: 2 }, 'success'],
    [{ Status: 4, Result: 2 }, 'success'],
    [{ Status: 3, Result: 3 }, 'warning'],
    [{ Status: 3, Result: 4 }, 'failure'],
    [{ Status: 3, Result: 0 }, 'unknown'],
  ])('%j is %s', (row, state) => {
    expect(stateOf(row)).toBe(state);
  });

  test('only immediate and due one-off jobs are waited on', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(notDueReason({ Immediate: true }, now)).toBeUndefined();
    expect(notDueReason({ ExactlyOnce: { Time: '2026-11-23T11:00:00Z' } }, now)).toBeUndefined();
    expect(notDueReason({ ExactlyOnce: { Time: '2026-11-24T00:00:00Z' } }, now)).toMatch(/scheduled for 2026-11-24T00:00:00Z: not waiting/);
    expect(notDueReason({ Daily: { Time: '2026-11-23T02:00:00Z' } }, now)).toMatch(/recurring schedule \(Daily\)/);
  });
});

describe('WaitPolicy at synth', () => {
  const deploy = (stack: TerraformStack, wait?: WaitPolicy) => new CertificateDeployment(stack, 'web', {
    certificateId: 1,
    schedule: Schedule.immediate(),
    wait,
    stores: [{ certificateStoreId: '11111111-1111-4111-8111-000000000001' }, { certificateStoreId: '11111111-1111-4111-8111-000000000002' }],
  });

  test('forCompletion renders one wait carrier after the instances, with the documented defaults', () => {
    const stack = new TerraformStack(Testing.app(), 'unit');
    deploy(stack, WaitPolicy.forCompletion());
    const json = JSON.parse(Testing.synth(stack));
    const carriers = Object.entries<any>(json.resource.terraform_data);
    const [, wait] = carriers.find(([name]) => name.includes('Wait'))!;
    const [instancesName] = carriers.find(([name]) => name.includes('Carrier'))!;
    expect(wait.depends_on).toEqual([`terraform_data.${instancesName}`]);
    expect(wait.provisioner).toHaveLength(1);
    const spec = JSON.parse(wait.input.spec);
    expect(spec).toMatchObject({ operation: 'JobWait', of: 'CertificateDeployment', wait: { mode: 'completion', timeoutSeconds: 600, pollIntervalSeconds: 5 } });
    expect(Object.keys(spec.instances)).toHaveLength(2);
  });

  test('noWait (the default) renders no wait carrier; KeyfactorDefaults can turn waiting on', () => {
    const a = new TerraformStack(Testing.app(), 'a');
    deploy(a);
    expect(Object.keys(JSON.parse(Testing.synth(a)).resource.terraform_data)).toHaveLength(1);
    const b = new TerraformStack(Testing.app(), 'b');
    new KeyfactorDefaults(b, 'KeyfactorDefaults', { wait: WaitPolicy.forCompletion({ timeoutSeconds: 60 }) });
    deploy(b);
    expect(Object.keys(JSON.parse(Testing.synth(b)).resource.terraform_data)).toHaveLength(2);
  });

  test('changing only the wait policy leaves every trigger hash unchanged', () => {
    const hashes = (wait?: WaitPolicy) => {
      const s = new TerraformStack(Testing.app(), 'h');
      deploy(s, wait);
      const [carrier] = Object.values<any>(JSON.parse(Testing.synth(s)).resource.terraform_data);
      return Object.values<any>(carrier.for_each).map((v) => v.hash);
    };
    expect(hashes(WaitPolicy.forCompletion({ timeoutSeconds: 60 }))).toEqual(hashes(WaitPolicy.noWait()));
  });

  test.each([
    [WaitPolicy.forCompletion({ timeoutSeconds: 0 }), /unit\/web: [\s\S]*wait\.timeoutSeconds: must be more than 0/],
    [WaitPolicy.forCompletion({ timeoutSeconds: 10, pollIntervalSeconds: 20 }), /unit\/web: wait\.pollIntervalSeconds: must be more than 0 and at most timeoutSeconds/],
  ])('bad wait options name the construct and field (%#)', (policy, expected) => {
    expect(() => deploy(new TerraformStack(Testing.app(), 'unit'), policy)).toThrow(expected);
  });
});
