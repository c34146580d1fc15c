import * as fs from 'fs';
import * as path from 'path';
import { App, DataResource, Fn, TerraformStack, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { addExamples } from '../../examples/main';
import { CertificateDeployment, CertificateStorePassword, PamLocalEntry, Schedule, Secret, WaitPolicy } from '../../src';
import { deletedConstructDecision } from '../../src/runner/deleted-construct';
import { Configuration, readConfiguration } from '../../src/runtime/configuration';
import { parseHcl } from '../../src/runtime/hcl';
import { deploymentSpec, S1, tempDir } from '../support/runtime';

/**
 * The runner reads a stack's configuration at apply (which carriers are configured, their
 * instances' specs and hashes). From `cdktf synth --hcl` output it must read what it reads from
 * cdk.tf.json of the same app.
 */
function synthesize(build: (scope: Construct) => void, hcl: boolean): string {
  const outdir = tempDir('kf-hcl-read-');
  const saved = process.env.SYNTH_HCL_OUTPUT;
  process.env.SYNTH_HCL_OUTPUT = hcl ? 'true' : '';
  try {
    const app = new App({ outdir, hclOutput: hcl });
    build(new TerraformStack(app, 'read'));
    app.synth();
  } finally {
    if (saved === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = saved;
  }
  return path.join(outdir, 'stacks', 'read');
}

/**
 * What the library reads of a configuration: resource blocks' for_each and spec, and locals'
 * specs, with JSON texts parsed. Not hashes: in HCL Terraform computes them (nothing reads them).
 */
function readView(config: Configuration): unknown {
  const parsed = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('{')) return { json: JSON.parse(v) };
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'hash').map(([k, x]) => [k, parsed(x)]));
    }
    return v;
  };
  const resources: Record<string, unknown> = {};
  for (const [type, blocks] of Object.entries(config.resource ?? {})) {
    for (const [name, block] of Object.entries(blocks)) resources[`${type}.${name}`] = parsed({ for_each: block.for_each, input: block.input });
  }
  // In HCL the registry refers to its instances' specs (`${local.X["key"].spec}`) where JSON copies them: compared as evaluated.
  const locals: Record<string, any> = { ...config.locals };
  for (const [name, instances] of Object.entries(locals)) {
    if (!/^KeyfactorUndo\d*Instances$/.test(name)) continue;
    locals[name] = Object.fromEntries(Object.entries<any>(instances).map(([k, v]) => {
      const ref = /^\$\{local\.([^[]+)\[("(?:[^"\\]|\\.)*")\]\.spec\}$/.exec(v.spec);
      return [k, ref ? { ...v, spec: locals[ref[1]][JSON.parse(ref[2])].spec } : v];
    }));
  }
  // A single carrier's spec sits in a local in HCL: what its input names is compared.
  for (const r of Object.values<any>(resources)) {
    const name = /^\$\{local\.([^}]+)\}$/.exec(r.input?.spec)?.[1];
    if (name) {
      r.input.spec = parsed(locals[name]);
      delete locals[name];
    }
  }
  return { resources, locals: parsed(locals) };
}

function withReferences(scope: Construct): void {
  const enrolled = new DataResource(scope, 'enrolled', { input: { certificateId: 3 } });
  const alias = new TerraformVariable(scope, 'alias', { type: 'string' });
  new CertificateDeployment(scope, 'refs', {
    certificateId: Token.asNumber(Fn.lookup(enrolled.output, 'certificateId')),
    schedule: Schedule.immediate(),
    wait: WaitPolicy.forCompletion(),
    stores: [
      { certificateStoreId: S1, key: 'variable-alias', alias: alias.stringValue },
      { certificateStoreId: '11111111-1111-4111-8111-000000000002', alias: Fn.rawString('lit-${var.x}-%{ if true }X%{ endif } "quoted" \\ back') },
    ],
  });
  const provider = new TerraformVariable(scope, 'pam_provider', { type: 'number' });
  new PamLocalEntry(scope, 'named', { providerId: provider.numberValue, secretName: new TerraformVariable(scope, 'name', { type: 'string' }).stringValue, secretValue: Secret.fromEnv('N') });
  new PamLocalEntry(scope, 'secret', { providerId: 1, secretName: 'db-primary', secretValue: Secret.fromEnv('DB_SECRET'), description: 'héllo <&> "q" \\ $${x}\n' });
}

/** A wait whose replacement trigger hashes to digits only (found by search), which cdktf's HCL output would render as a number. */
function digitsOnlyHash(scope: Construct): void {
  new CertificateDeployment(scope, 'd663', { certificateId: 3, schedule: Schedule.immediate(), wait: WaitPolicy.forCompletion(), stores: [{ certificateStoreId: S1 }] });
}

describe('reading the configuration from cdktf synth --hcl output', () => {
  test('no hash is literal in HCL (cdktf would write one of digits only as a number): Terraform computes each from what it covers', () => {
    const json = JSON.parse(fs.readFileSync(path.join(synthesize(digitsOnlyHash, false), 'cdk.tf.json'), 'utf8')).resource.terraform_data;
    expect(json.d663_Wait_204F5889.input.hash).toBe('5498640904290343');
    const hcl = fs.readFileSync(path.join(synthesize(digitsOnlyHash, true), 'cdk.tf'), 'utf8');
    const hashes = hcl.split('\n').filter((l) => /^\s*hash\s*=/.test(l));
    expect(hashes.length).toBeGreaterThanOrEqual(4); // the store's instance and the wait, each in input and triggers_replace
    hashes.forEach((l) => expect(l).toMatch(/^\s*hash\s*=\s*"\$\{(lookup\(each\.value, "hash", )?substr\(sha256\(/));
    // That they are the same values: terraform plans no change (test/end-to-end/hcl-exit.e2e.test.ts).
  });

  test('a spec whose jsonencode text would differ (keys "9" and "10") stays JSON text, hash as written, with a warning', () => {
    const build = (scope: Construct) => new CertificateDeployment(scope, 'numbered', {
      certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S1, jobFields: { 9: 'nine', 10: 'ten' } }],
    });
    const hcl = fs.readFileSync(path.join(synthesize(build, true), 'cdk.tf'), 'utf8');
    expect(hcl).toMatch(/spec = "\$\{"\{\\"certificateId\\":3,/);
    expect(hcl).toMatch(/hash = "[0-9a-f]{16}"/);
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(path.dirname(synthesize(build, true))), 'manifest.json'), 'utf8'));
    expect(JSON.stringify(manifest)).toContain('a spec of this construct stays JSON text: store.jobFields.9 is a key Terraform sorts differently');
  });

  test('an instance key cdktf cannot write as HCL is an error at synth, naming the construct and field', () => {
    const build = (scope: Construct) => new PamLocalEntry(scope, 'quoted', { providerId: 1, secretName: 'db "primary"', secretValue: Secret.fromEnv('S') });
    expect(() => synthesize(build, true)).toThrow('secretName: the instance key "1/db \\"primary\\"" holds a quote, a backslash or a control character, ' +
      'which cdktf synth --hcl cannot write; rename it, or synthesize JSON (PamLocalEntry)');
    expect(() => synthesize(build, false)).not.toThrow();
  });

  test.each([
    ['the examples', (scope: Construct) => addExamples(scope)],
    ['keys Terraform sorts differently', (scope: Construct) => new CertificateDeployment(scope, 'numbered', {
      certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S1, jobFields: { 9: 'nine', 10: 'ten' } }],
    })],
    ['specs with references, verbatim text and characters that need escaping', withReferences],
    ['a hash of digits only', digitsOnlyHash],
    ['literal specs with characters Terraform\'s jsonencode escapes', (scope: Construct) => {
      new PamLocalEntry(scope, 'escaped', { providerId: 1, secretName: 'escaped', secretValue: Secret.fromEnv('E'), description: 'a <b> & c \u2028 d \u2029' });
      new CertificateStorePassword(scope, 'password', { certStoreId: S1, newPassword: Secret.fromEnv('P'), rotationKey: '<2026&>' });
    }],
  ])('%s: the same as from cdk.tf.json', (_, build) => {
    const json = readConfiguration(synthesize(build, false), 'test');
    const hclDir = synthesize(build, true);
    expect(fs.existsSync(path.join(hclDir, 'cdk.tf.json'))).toBe(false);
    const hcl = readConfiguration(hclDir, 'test');
    expect(readView(hcl)).toEqual(readView(json));
  });

  test('hand-written HCL: comments, bare expressions, both object separators, heredocs, nested blocks, several files', () => {
    const dir = tempDir('kf-hcl-hand-');
    fs.writeFileSync(path.join(dir, 'main.tf'), [
      '# a comment with resource "terraform_data" "commented" {',
      '/* resource "terraform_data" "block_commented" {',
      '} */',
      'resource "terraform_data" "web" { // trailing comment',
      '  for_each = local.instances',
      '  input = { spec = each.value.spec, hash: each.value.hash }',
      '  provisioner "local-exec" {',
      '    command = <<-EOT',
      '      echo "${self.input.hash}" {',
      '    EOT',
      '    environment = { CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR = "../ledger" }',
      '  }',
      '  lifecycle {',
      '    precondition {',
      '      condition     = true',
      '      error_message = "never"',
      '    }',
      '  }',
      '}',
      'resource terraform_data other {}',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'locals.tf'), [
      'locals {',
      '  instances = {',
      '    "a" = { spec = "${jsonencode({"n" = 1, "s" = "x\\"y", "l" = [true, null]})}", hash = "${"0123"}" }',
      '    b = { spec = "${jsonencode({"n" = var.n})}", hash = 42 }',
      '    c = { spec = "${replace(replace(jsonencode({"s" = "<&>"}), "\\\\u003c", "<"), "&", "and")}" }',
      '    d = { spec = jsonencode({ "n" = 2 }) }',
      '    größe = { spec = replace(jsonencode({ "n" = 3 }), "3", "4") }',
      '  }',
      '  list = [for k in ["a"] : k]',
      '}',
    ].join('\n'));
    const config = readConfiguration(dir, 'test');
    expect(Object.keys(config.resource!.terraform_data).sort()).toEqual(['other', 'web']);
    expect(config.resource!.terraform_data.web).toEqual({
      for_each: '${local.instances}',
      input: { spec: '${each.value.spec}', hash: '${each.value.hash}' },
      // As cdk.tf.json writes them (the CLI reads the ledger directory from a provisioner's environment).
      provisioner: [{ 'local-exec': { command: 'echo "${self.input.hash}" {\n', environment: { CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: '../ledger' } } }],
      lifecycle: [{ precondition: [{ condition: true, error_message: 'never' }] }],
    });
    expect(config.locals).toEqual({
      instances: {
        a: { spec: '{"l":[true,null],"n":1,"s":"x\\"y"}', hash: '0123' },
        b: { spec: '${jsonencode({"n" = var.n})}', hash: 42 },
        c: { spec: '{"s":"<and>"}' },
        d: { spec: '{"n":2}' },
        größe: { spec: '{"n":4}' },
      },
      list: '${[for k in ["a"] : k]}',
    });
  });

  test('a file that is not HCL fails the read with its file and line', () => {
    const dir = tempDir('kf-hcl-bad-');
    fs.writeFileSync(path.join(dir, 'main.tf'), 'locals {\n  a = "unterminated\n}\n');
    expect(() => readConfiguration(dir, 'tell whether x was deleted'))
      .toThrow(`cannot tell whether x was deleted: reading ${path.join(dir, 'main.tf')} failed (line 2: a quoted string has no closing quote).`);
    expect(() => parseHcl('resource "a" "b" {\n')).toThrow('line 2: a block has no closing "}"');
  });

  test('a main.tf.json beside a .tf file (no cdk.tf.json): both are configuration, as Terraform loads them', () => {
    const dir = tempDir('kf-hcl-mixed-');
    fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({
      terraform: { backend: { pg: { schema_name: 'kf' } } },
      resource: { terraform_data: { web_Carrier_1: { for_each: '${local.webInstances}' } } },
      locals: { webInstances: { k: { spec: '{"n":1}' } } },
    }));
    fs.writeFileSync(path.join(dir, 'extra.tf'), 'resource "terraform_data" "other" {\n  input = "x"\n}\n');
    const config = readConfiguration(dir, 'test');
    expect(Object.keys(config.resource!.terraform_data).sort()).toEqual(['other', 'web_Carrier_1']);
    expect(config.locals).toEqual({ webInstances: { k: { spec: '{"n":1}' } } });
    // Its backend too: where the CLI finds the ledger on a machine that never ran terraform init.
    expect(config.terraform).toEqual({ backend: { pg: { schema_name: 'kf' } } });
    // So the registry sees the carrier configured: its own destroy undoes, not a second Remove from the registry.
    expect(deletedConstructDecision(deploymentSpec('web'), 'terraform_data.web_Carrier_1', dir)).toEqual({ undo: false, reason: 'configured' });
  });

  test('with neither cdk.tf.json nor .tf files, the read names cdk.tf.json and the fix', () => {
    const dir = tempDir('kf-hcl-none-');
    expect(() => readConfiguration(dir, 'test')).toThrow(/reading .*cdk\.tf\.json failed \(ENOENT\)\. Apply from the stack directory/);
  });
});
