import { DataResource, Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  CertificateDeployment, CertificateStorePassword, CertificateStoreReenrollment, PamLocalEntry,
  PfxReplacement, Schedule, Secret, WaitPolicy,
} from '../../src';
import { synthJson } from '../support/synth';

const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const AGENT = 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e';

/** Every construct, each given `dependsOn: [before]`. */
const CONSTRUCTS: Array<[string, (scope: Construct, id: string, dependsOn: any[]) => { fqn: string }]> = [
  ['CertificateDeployment', (s, id, dependsOn) => new CertificateDeployment(s, id, { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }], dependsOn })],
  ['CertificateDeployment (waiting)', (s, id, dependsOn) => new CertificateDeployment(s, id, {
    certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }], dependsOn, wait: WaitPolicy.forCompletion(),
  })],
  ['CertificateStorePassword', (s, id, dependsOn) => new CertificateStorePassword(s, id, { certStoreId: STORE, newPassword: Secret.fromEnv('PW'), dependsOn })],
  ['PfxReplacement', (s, id, dependsOn) => new PfxReplacement(s, id, { existingCertificateId: 1, certificateId: 2, dependsOn })],
  ['PamLocalEntry', (s, id, dependsOn) => new PamLocalEntry(s, id, { providerId: 1, secretName: 'n', secretValue: Secret.fromEnv('V'), dependsOn })],
  ['CertificateStoreReenrollment', (s, id, dependsOn) => new CertificateStoreReenrollment(s, id, {
    keystoreId: STORE, agentGuid: AGENT, subjectName: 'CN=a', alias: 'a', dependsOn,
  })],
];

describe('composing with the rest of a stack', () => {
  test.each(CONSTRUCTS)('%s: runs after what it depends on, and can be depended on', (_name, make) => {
    const stack = new TerraformStack(Testing.app(), 'compose');
    const before = new DataResource(stack, 'before', {});
    const construct = make(stack, 'op', [before]);
    new DataResource(stack, 'after', { dependsOn: [construct] });
    const resources = synthJson(stack).resource.terraform_data as Record<string, any>;

    // The construct's first carrier waits for `before`.
    const carriers = Object.entries(resources).filter(([k]) => k.startsWith('op_'));
    expect(carriers.length).toBeGreaterThan(0);
    const first = carriers.find(([k]) => /^op_Carrier_/.test(k))!;
    expect(first[1].depends_on).toEqual([`terraform_data.${Object.keys(resources).find((k) => k.startsWith('before'))}`]);
    // `after` waits for the construct: its address is one of the construct's carriers.
    const [address] = resources[Object.keys(resources).find((k) => k.startsWith('after'))!].depends_on;
    expect(carriers.map(([k]) => `terraform_data.${k}`)).toContain(address);
  });

  test('a waiting CertificateDeployment is depended on through its wait carrier (after the add jobs completed)', () => {
    const stack = new TerraformStack(Testing.app(), 'compose');
    const d = new CertificateDeployment(stack, 'op', { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }], wait: WaitPolicy.forCompletion() });
    expect(d.fqn).toBe(d.waitResource!.fqn);
    const plain = new CertificateDeployment(stack, 'plain', { certificateId: 1, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORE }] });
    expect(plain.fqn).toBe(plain.carrierResource.fqn);
  });

});
