import { Testing, TerraformStack } from 'cdktf';
import { CertificateDeployment, CertificateStoreReenrollment, KeyfactorDefaults, PfxReplacement, Schedule, WaitPolicy } from '../../../src';
import { synthJson, synthErrors } from '../../support/synth';

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
    // The instances are read from the configuration at apply: the spec does not grow with them.
    expect(spec.carrier).toBe(`terraform_data.${instancesName}`);
    expect(spec).not.toHaveProperty('instances');
  });

  test('the wait carrier keeps the trigger it had when its spec listed every instance, so upgrading re-runs no wait', () => {
    const stack = new TerraformStack(Testing.app(), 'h');
    new CertificateDeployment(stack, 'web', {
      certificateId: 1,
      schedule: Schedule.immediate(),
      wait: WaitPolicy.forCompletion(),
      stores: [{ certificateStoreId: '11111111-1111-4111-8111-000000000001', alias: 'a' }, { certificateStoreId: '11111111-1111-4111-8111-000000000002' }],
    });
    const [, wait] = Object.entries<any>(synthJson(stack).resource.terraform_data).find(([name]) => name.includes('Wait'))!;
    // What the library rendered before the instances moved out of the spec (commit 6704221).
    expect(wait.triggers_replace.hash).toBe('80ccad0b90ea6e67');
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
    [WaitPolicy.forCompletion({ timeoutSeconds: 0 }), /\[unit\/web\] [\s\S]*wait\.timeoutSeconds: must be more than 0/],
    [WaitPolicy.forCompletion({ timeoutSeconds: 10, pollIntervalSeconds: 20 }), /\[unit\/web\] wait\.pollIntervalSeconds: must be more than 0 and at most timeoutSeconds/],
  ])('bad wait options name the construct and field (%#)', (policy, expected) => {
    expect(synthErrors(deploy(new TerraformStack(Testing.app(), 'unit'), policy))).toMatch(expected);
  });

  test('verifyDelivery: rendered only when asked, so existing specs keep their form', () => {
    const waitOf = (policy: WaitPolicy) => {
      const s = new TerraformStack(Testing.app(), 'v');
      deploy(s, policy);
      const [, wait] = Object.entries<any>(synthJson(s).resource.terraform_data).find(([name]) => name.includes('Wait'))!;
      return JSON.parse(wait.input.spec).wait;
    };
    expect(waitOf(WaitPolicy.forCompletion({ verifyDelivery: true }))).toEqual({ mode: 'completion', timeoutSeconds: 600, pollIntervalSeconds: 5, verifyDelivery: true });
    expect(waitOf(WaitPolicy.forCompletion({ verifyDelivery: false }))).toEqual({ mode: 'completion', timeoutSeconds: 600, pollIntervalSeconds: 5 });
    expect(synthErrors(deploy(new TerraformStack(Testing.app(), 'unit'), WaitPolicy.forCompletion({ verifyDelivery: 'yes' as any }))))
      .toMatch(/\[unit\/web\] wait\.verifyDelivery: must be true or false, got "yes"/);
  });

  test('verifyDelivery where no certificate is known is refused on the construct, and dropped when inherited', () => {
    const verified = WaitPolicy.forCompletion({ verifyDelivery: true });
    const rekey = (s: TerraformStack, wait?: WaitPolicy) => new CertificateStoreReenrollment(s, 'rekey', {
      keystoreId: '11111111-1111-4111-8111-000000000001', agentGuid: '22222222-2222-4222-8222-000000000001', subjectName: 'CN=a', alias: 'a', wait,
    });
    expect(synthErrors(rekey(new TerraformStack(Testing.app(), 'unit'), verified)))
      .toMatch(/\[unit\/rekey\] wait\.verifyDelivery: cannot be used here: Command does not say which certificate a reenrollment creates/);
    expect(synthErrors(new PfxReplacement(new TerraformStack(Testing.app(), 'unit'), 'renew', { existingCertificateId: 1, requestId: 7, wait: verified })))
      .toMatch(/\[unit\/renew\] wait\.verifyDelivery: cannot be used here: a replacement given by requestId does not know the new certificate's id/);
    // A stack default applies where it can: the reenrollment keeps the job wait only, the deployment verifies.
    const s = new TerraformStack(Testing.app(), 'd');
    new KeyfactorDefaults(s, 'KeyfactorDefaults', { wait: verified });
    rekey(s);
    deploy(s);
    const specs = Object.values<any>(synthJson(s).resource.terraform_data).filter((r) => r.input?.spec?.startsWith('{')).map((r) => JSON.parse(r.input.spec));
    expect(specs.find((x) => x.operation === 'CertificateStoreReenrollment').wait).toEqual({ mode: 'completion', timeoutSeconds: 600, pollIntervalSeconds: 5 });
    expect(specs.find((x) => x.operation === 'JobWait').wait.verifyDelivery).toBe(true);
  });
});
