/**
 * The CDK Terrain flavour (flavours/cdktn, built by build-tools/flavour-cdktn.mjs when compiling)
 * has the public API of cdktf-keyfactor, under its own name, on cdktn; and its one difference of
 * behaviour, Carrier.nullResource(), fails at synth saying what to use instead.
 *
 * Needs a compiled tree (`npm test` compiles first).
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const FLAVOUR = path.join(ROOT, 'flavours', 'cdktn');

interface Assembly {
  name: string;
  dependencies: Record<string, string>;
  targets: Record<string, Record<string, unknown>>;
  types: Record<string, { kind: string; properties?: { name: string }[]; methods?: { name: string }[]; members?: { name: string }[] }>;
}

const readAssembly = (dir: string): Assembly => JSON.parse(fs.readFileSync(path.join(dir, '.jsii'), 'utf8'));

/** What a type exposes: its kind and member names (properties, methods, enum members), sorted. */
function shape(type: Assembly['types'][string]): string[] {
  const names = [...type.properties ?? [], ...type.methods ?? [], ...type.members ?? []].map((m) => m.name);
  return [type.kind, ...names.sort()];
}

describe('the cdktn flavour', () => {
  const root = readAssembly(ROOT);
  const flavour = readAssembly(FLAVOUR);

  test('its jsii assembly names every public type of the root one, with the same members, under cdktn-keyfactor', () => {
    expect(flavour.name).toBe('cdktn-keyfactor');
    const expected = Object.fromEntries(Object.entries(root.types).map(([fqn, type]) => [fqn.replace(/^cdktf-keyfactor\./, 'cdktn-keyfactor.'), shape(type)]));
    const actual = Object.fromEntries(Object.entries(flavour.types).map(([fqn, type]) => [fqn, shape(type)]));
    expect(Object.keys(expected).length).toBeGreaterThan(20);
    expect(actual).toEqual(expected);
  });

  test('depends on cdktn and constructs 10.6+, not on cdktf, and refers to no cdktf type', () => {
    expect(root.dependencies).toEqual({ 'cdktf': '^0.21.0', 'constructs': '^10.4.2', '@cdktf/provider-null': '^11.0.0' });
    expect(flavour.dependencies).toEqual({ cdktn: '^0.24.0', constructs: '>=10.6.0 <10.8.0' });
    expect(JSON.stringify(flavour.types)).not.toMatch(/"fqn":"(cdktf|@cdktf\/)/);
    expect(JSON.stringify(flavour.types)).toMatch(/"fqn":"cdktn\./);
    // The compiled code too (the e2e test resolves modules from the root, where cdktf is installed).
    const js = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? js(path.join(dir, e.name)) : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []));
    const files = js(path.join(FLAVOUR, 'lib'));
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => /require\("(cdktf|@cdktf\/[^"]*)"\)/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(FLAVOUR, f))).toEqual([]);
    expect(files.some((f) => fs.readFileSync(f, 'utf8').includes('require("cdktn")'))).toBe(true);
  });

  test("declares the root's jsii targets with cdktn-keyfactor names", () => {
    expect(flavour.targets).toEqual({
      js: { npm: 'cdktn-keyfactor' },
      python: { distName: 'cdktn-keyfactor', module: 'cdktn_keyfactor' },
      java: { package: 'io.github.cdktfkeyfactor.cdktn', maven: { groupId: 'io.github.cdktf-keyfactor', artifactId: 'cdktn-keyfactor' } },
      dotnet: { namespace: 'CdktnKeyfactor', packageId: 'CdktnKeyfactor' },
      go: { moduleName: 'github.com/cdktf-keyfactor/cdktn-keyfactor-go' },
    });
    expect(Object.keys(flavour.targets).sort()).toEqual(Object.keys(root.targets).sort());
  });

  test('Carrier.nullResource() fails at synth: the flavour offers only terraform_data', () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const cdktn = require('cdktn');
    const kf = require(path.join(FLAVOUR, 'lib'));
    /* eslint-enable @typescript-eslint/no-require-imports */
    const deploy = (stack: unknown, carrier?: unknown) => new kf.CertificateDeployment(stack, 'web', {
      certificateId: 3, schedule: kf.Schedule.immediate(), stores: [{ certificateStoreId: '11111111-1111-4111-8111-000000000001' }], carrier,
    });
    const app = cdktn.Testing.app();
    expect(() => deploy(new cdktn.TerraformStack(app, 'with-null'), kf.Carrier.nullResource())).toThrow(
      /^cdktn-keyfactor: Carrier\.nullResource\(\) is not available with CDK Terrain \(cdktn\).*only terraform_data\. Use the default carrier, Carrier\.terraformData\(\)/,
    );
    // The default carrier synthesizes with cdktn.
    const stack = new cdktn.TerraformStack(app, 'default');
    deploy(stack);
    const json = JSON.parse(cdktn.Testing.synth(stack));
    expect(Object.keys(json.resource.terraform_data).filter((k) => k.startsWith('web_Carrier'))).toHaveLength(1);
    expect(json.resource.null_resource).toBeUndefined();
  });

  test("trims DataResource's terraform version checks to one per stack on cdktn too (src/synth/provisioner.ts reaches into constructs)", () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const cdktn = require('cdktn');
    const kf = require(path.join(FLAVOUR, 'lib'));
    /* eslint-enable @typescript-eslint/no-require-imports */
    const stack = new cdktn.TerraformStack(cdktn.Testing.app(), 'stack');
    for (const id of ['a', 'b', 'c']) {
      new kf.CertificateDeployment(stack, id, { certificateId: 3, schedule: kf.Schedule.immediate(), stores: [{ certificateStoreId: '11111111-1111-4111-8111-000000000001' }] });
    }
    const checks = stack.node.findAll().flatMap((c: any) => (c.node._validations ?? []).filter((v: any) => v.versionConstraint === '>=1.4'));
    expect(checks).toHaveLength(1);
  });
});
