import { Testing, TerraformStack } from 'cdktf';
import { CertificateDeployment, KeyfactorDefaults, Schedule, WaitPolicy } from '../../../src';
import { synthJson } from '../../support/synth';

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
    const json = synthJson(stack);
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
    expect(Object.keys(synthJson(a).resource.terraform_data)).toHaveLength(1);
    const b = new TerraformStack(Testing.app(), 'b');
    new KeyfactorDefaults(b, 'KeyfactorDefaults', { wait: WaitPolicy.forCompletion({ timeoutSeconds: 60 }) });
    deploy(b);
    expect(Object.keys(synthJson(b).resource.terraform_data)).toHaveLength(2);
  });

  test('changing only the wait policy leaves every trigger hash unchanged', () => {
    const hashes = (wait?: WaitPolicy) => {
      const s = new TerraformStack(Testing.app(), 'h');
      deploy(s, wait);
      const [carrier] = Object.values<any>(synthJson(s).resource.terraform_data);
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
