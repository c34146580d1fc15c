import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { CertificateDeployment, Schedule } from '../../src';
import { configuredInstances } from '../../src/runtime/configuration';

const STORES = ['a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 'f0e1d2c3-b4a5-4968-8776-655443322110'];

describe('a carrier with several instances', () => {
  // Terraform evaluates an inline for_each map once per instance: 1,000 instances took 520 s to plan.
  test('names a `locals` map in for_each, and Terraform plans one instance per key at the same addresses', () => {
    const s = new TerraformStack(Testing.app(), 'unit');
    new CertificateDeployment(s, 'web', { certificateId: 7, schedule: Schedule.immediate(), stores: STORES.map((id) => ({ certificateStoreId: id })) });
    const json = JSON.parse(Testing.synth(s));
    const [name, carrier] = Object.entries<any>(json.resource.terraform_data).find(([n]) => n.startsWith('web_Carrier_'))!;
    expect(carrier.for_each).toMatch(/^\$\{local\.web_CarrierInstances_[0-9A-F]{8}\}$/);
    const instances = configuredInstances(json, carrier) as Record<string, { spec: string; hash: string }>;
    expect(Object.keys(instances)).toEqual(STORES);
    expect(JSON.parse(instances[STORES[0]].spec).store.certificateStoreId).toBe(STORES[0]);

    // What Terraform makes of it: the real binary plans the instances by key (terraform_data needs no provider download).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-carrier-locals-'));
    try {
      fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({ locals: json.locals, resource: { terraform_data: { [name]: { for_each: carrier.for_each, input: carrier.input } } } }));
      const run = (args: string[]) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
      expect(run(['init', '-input=false', '-no-color']).status).toBe(0);
      const plan = run(['plan', '-input=false', '-no-color']);
      expect(plan.status).toBe(0);
      for (const id of STORES) expect(plan.stdout).toContain(`terraform_data.${name}["${id}"] will be created`);
      expect(plan.stdout).toContain('Plan: 2 to add');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
