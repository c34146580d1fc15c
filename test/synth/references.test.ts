import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DataResource, Fn, TerraformStack, TerraformVariable, Testing, Token } from 'cdktf';
import {
  Carrier, CertificateDeployment, CertificateDeploymentProps, CertificateStorePassword, CertificateStoreReenrollment,
  PamLocalEntry, PfxReplacement, Schedule, Secret, SubjectAlternativeName, WaitPolicy,
} from '../../src';
import { SPEC_VERSION } from '../../src/contract/spec';
import { deletedConstructDecision } from '../../src/runner/deleted-construct';
import { caseVariant } from '../support/guid';
import { tempDir } from '../support/runtime';
import { synthErrors, synthJson } from '../support/synth';

const S1 = '11111111-1111-4111-8111-000000000001';
const S2 = '11111111-1111-4111-8111-000000000002';
const LETTERED = 'c0ffee00-dead-4bee-8f00-00000000cafe';
const A1 = '22222222-2222-4222-8222-000000000001';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

function deploy(s: TerraformStack, props: Partial<CertificateDeploymentProps>, id = 'web'): CertificateDeployment {
  return new CertificateDeployment(s, id, { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: S1 }], ...props });
}

/** The problems synth reports for what `build` adds to a new stack, or fails. */
function synthError(build: (s: TerraformStack) => void): string {
  const s = stack();
  build(s);
  const errors = synthErrors(s);
  if (!errors) throw new Error('expected a synth error');
  return errors;
}

/** The for_each values of the stack's only carrier of construct `id`. */
function instances(json: any, id = 'web'): Record<string, { spec: string; hash: string; known?: string }> {
  const [block] = Object.entries<any>(json.resource.terraform_data).filter(([name]) => name.startsWith(`${id}_Carrier_`)).map(([, b]) => b);
  return block.for_each;
}

/**
 * What Terraform makes of an expression, evaluated by the real terraform binary with `variable`
 * declared (default `V`): so the rendering is checked by the reader that matters, not by a regex.
 */
function evaluate(expression: string): unknown {
  const dir = tempDir('kf-console-');
  fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({ variable: { x: { default: 'V' } } }));
  const inner = expression.replace(/^\$\{/, '').replace(/\}$/, '');
  const res = spawnSync('terraform', ['console'], { cwd: dir, input: inner, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout.trim());
}

describe('props that are Terraform references, at synth', () => {
  test('a literal spec stays JSON text; a spec with a reference becomes an expression Terraform evaluates and hashes', () => {
    const s = stack();
    const enrolled = new DataResource(s, 'enrolled', { input: { id: 3 } });
    deploy(s, {});
    deploy(s, { certificateId: Token.asNumber(Fn.lookup(enrolled.output, 'id')) }, 'api');
    const json = synthJson(s);
    expect(JSON.parse(instances(json)[S1].spec)).toMatchObject({ certificateId: 3 });
    expect(instances(json)[S1].hash).toMatch(/^[0-9a-f]{16}$/);
    const { spec, hash, known } = instances(json, 'api')[S1];
    expect(spec).toMatch(/^\$\{jsonencode\(\{.*"certificateId" = terraform_data\.enrolled\.output\.id.*\}\)\}$/);
    expect(hash).toMatch(/^\$\{substr\(sha256\(jsonencode\(\{.*\}\)\), 0, 16\)\}$/);
    // The runtime-only wait is left out of the hash, as for a literal spec.
    expect(hash).not.toContain('"wait"');
    expect(JSON.parse(known!)).toMatchObject({ certificateId: null, store: { certificateStoreId: S1 } });
    // The checks the runner makes once Terraform evaluated the reference.
    expect(spec).toContain('"checks" = [{"at" = "certificateId", "field" = "certificateId", "max" = 2147483647, "min" = 1, "rule" = "int"}]');
  });

  test('the expression is what Terraform evaluates to the spec: escapes, templates and Fn.rawString', () => {
    const s = stack();
    const x = new TerraformVariable(s, 'x', { type: 'string' });
    deploy(s, {
      stores: [{
        certificateStoreId: S1,
        alias: `${x.stringValue}-web`,
        jobFields: {
          quoted: 'say "hi" \\ bye\nnext\ttab',
          template: 'from ${var.x}',
          escaped: 'kept $${var.x} and %%{ if }',
          verbatim: Fn.rawString('lit-${var.x}-%{ if true }X%{ endif } "q" \\'),
          both: `${Fn.rawString('${raw}')}:${x.stringValue}`,
        },
      }],
    });
    const spec = evaluate(instances(synthJson(s))[S1].spec) as string;
    expect(JSON.parse(spec)).toMatchObject({
      store: {
        alias: 'V-web',
        jobFields: {
          quoted: 'say "hi" \\ bye\nnext\ttab',
          template: 'from V',
          escaped: 'kept ${var.x} and %{ if }',
          verbatim: 'lit-${var.x}-%{ if true }X%{ endif } "q" \\',
          both: '${raw}:V',
        },
      },
    });
  });

  test('the job wait identifies an instance whose spec holds references by its evaluated spec, on either carrier', () => {
    for (const [carrier, type, attribute] of [[Carrier.terraformData(), 'terraform_data', 'input'], [Carrier.nullResource(), 'null_resource', 'triggers']] as const) {
      const s = stack();
      const x = new TerraformVariable(s, 'x', { type: 'string' });
      const stores = [{ certificateStoreId: S1, alias: x.stringValue }, { certificateStoreId: S2 }];
      deploy(s, { carrier, wait: WaitPolicy.forCompletion(), stores });
      const blocks = synthJson(s).resource[type];
      const name = Object.keys(blocks).find((n) => n.startsWith('web_Carrier_'))!;
      const wait = Object.entries<any>(blocks).find(([n]) => n.startsWith('web_Wait_'))![1][attribute].spec as string;
      // The literal instance by its hash (read from the configuration at apply), the other by the spec Terraform evaluated for it.
      expect(wait).toContain(`"carrier" = "${type}.${name}"`);
      expect(wait).toContain(`"evaluated" = {"${S1}" = "\${${type}.${name}[\"${S1}\"].${attribute}.spec}"}`);
    }
  });

  test('a store id that is a reference needs a key; the key names the instance and must be literal and unique', () => {
    const store = (s: TerraformStack) => Token.asString(Fn.lookup(new DataResource(s, 'store', { input: { id: S2 } }).output, 'id'));
    expect(synthError((s) => deploy(s, { stores: [{ certificateStoreId: S1 }, { certificateStoreId: store(s) }] }))).toBe(
      '[unit/web] stores[1].certificateStoreId: is a Terraform reference, known only at apply, so it cannot name the store\'s carrier instance: ' +
      'give stores[1].key, a fixed name for this store in this deployment (e.g. key: \'web-01\'), and keep it when the reference changes (CertificateDeployment)');

    const s = stack();
    const d = deploy(s, { stores: [{ certificateStoreId: S1 }, { certificateStoreId: store(s), key: 'created' }] });
    expect(d.storeIds).toEqual([S1, 'created']);
    expect(Object.keys(instances(synthJson(s)))).toEqual([S1, 'created']);

    const message = synthError((t) => deploy(t, {
      stores: [
        { certificateStoreId: store(t), key: Token.asString(new TerraformVariable(t, 'k', {}).value) },
        { certificateStoreId: LETTERED, key: 'a' },
        { certificateStoreId: S2, key: 'a' },
        { certificateStoreId: caseVariant(LETTERED), key: 'b' },
      ],
      collectionId: Token.asNumber(new TerraformVariable(t, 'c', {}).value),
    }));
    expect(message.split('\n')).toHaveLength(3);
    expect(message).toContain('[unit/web] stores[0].key: must be literal text: it names the store\'s carrier instance, which Terraform needs at plan');
    expect(message).toContain('[unit/web] stores[2].key: "a" is already the key of stores[1]; give each store its own key');
    expect(message).toContain(`[unit/web] stores[3].certificateStoreId: store ${caseVariant(LETTERED)} is already listed at stores[1]; list each store once`);
  });

  test('the store list itself cannot be a reference', () => {
    expect(synthError((s) => deploy(s, { stores: Token.asList(new TerraformVariable(s, 'stores', {}).value) as any }))).toMatch(
      /^\[unit\/web\] stores: cannot be a Terraform reference: list the stores in code/);
  });

  test('a malformed template is a synth error naming the prop and the fix, every one in one run', () => {
    const message = synthError((s) => deploy(s, {
      stores: [{ certificateStoreId: S1, alias: 'web-${', jobFields: { Path: '/etc/%{ if' } }],
      certificateId: 0,
    }));
    expect(message).toBe(
      '[unit/web] stores[0].alias: has "${" at character 5 without its closing "}": Terraform reads ${...} and %{...} as an expression. ' +
      'To send the text as it is, wrap the value in Fn.rawString(...) (or write $${ and %%{) (CertificateDeployment)' +
      '\n[unit/web] stores[0].jobFields.Path: has "%{" at character 6 without its closing "}": Terraform reads ${...} and %{...} as an expression. ' +
      'To send the text as it is, wrap the value in Fn.rawString(...) (or write $${ and %%{) (CertificateDeployment)' +
      '\n[unit/web] certificateId: must be an integer from 1 to 2147483647, got 0 (CertificateDeployment)');
    // Closed templates, escapes, and braces in quoted strings inside a template are fine; so is the same text through Fn.rawString.
    const s = stack();
    deploy(s, { stores: [{ certificateStoreId: S1, alias: Fn.rawString('web-${'), jobFields: { a: '${ "}" }', b: '$${ and %%{', c: '%{ if true }x%{ endif }' } }] });
    expect(() => synthJson(s)).not.toThrow();
  });

  test('each operation defers the checks of its reference props to apply, naming each prop', () => {
    const s = stack();
    const v = (name: string) => new TerraformVariable(s, name, {}).value;
    deploy(s, { schedule: Schedule.exactlyOnce(Token.asString(v('when'))), stores: [{ certificateStoreId: S1, includePrivateKey: Token.asAny(v('pk')) as unknown as boolean }] });
    new PfxReplacement(s, 'renew', { existingCertificateId: Token.asNumber(v('old')), certificateId: Token.asNumber(v('new')), jobTime: Token.asString(v('at')) });
    new CertificateStorePassword(s, 'password', { certStoreId: Token.asString(v('store')), newPassword: Secret.fromEnv('P'), rotationKey: Token.asString(v('r')) });
    new PamLocalEntry(s, 'entry', { providerId: Token.asNumber(v('provider')), secretName: Token.asString(v('name')), secretValue: Secret.fromEnv('V') });
    new CertificateStoreReenrollment(s, 'rekey', {
      keystoreId: Token.asString(v('keystore')),
      agentGuid: A1,
      subjectName: Token.asString(v('subject')),
      alias: 'web',
      sans: [SubjectAlternativeName.dns('www.example.test'), SubjectAlternativeName.ip4(Token.asString(v('ip')))],
      metadata: { Owner: Token.asString(v('owner')) },
    });
    const json = synthJson(s);
    const specs = Object.values<any>(json.resource.terraform_data)
      .flatMap((b) => (b.for_each ? Object.values<any>(b.for_each).map((value) => value.spec) : [b.input.spec])).join('\n');
    for (const [field, rule, at = field] of [
      ['schedule.time', 'utcTime', 'schedule.ExactlyOnce.Time'], ['stores[0].includePrivateKey', 'boolean', 'store.includePrivateKey'],
      ['existingCertificateId', 'int'], ['certificateId', 'int'], ['jobTime', 'utcTime'],
      ['certStoreId', 'guid'], ['rotationKey', 'nonEmptyString'],
      ['providerId', 'int'], ['secretName', 'nonEmptyString'],
      ['keystoreId', 'guid'], ['subjectName', 'distinguishedName'], ['sans[1]', 'san', 'sans.ip4.0'], ['metadata.Owner', 'string'],
    ]) {
      expect(specs).toMatch(new RegExp(`\\{"at" = "${at.replace(/[.[\]]/g, '\\$&')}", "field" = "${field.replace(/[.[\]]/g, '\\$&')}"[^}]*"rule" = "${rule}"\\}`));
    }
    expect(specs).toContain('"field" = "certificateId", "hint" = "give the newly enrolled certificate", "kind" = "certificate", ' +
      '"other" = "existingCertificateId", "otherField" = "existingCertificateId", "rule" = "differs"');
    // A literal prop of the same construct is checked at synth, not deferred.
    expect(specs).not.toContain('"field" = "agentGuid"');
    // A PAM entry's instance is keyed by Terraform from its provider and name, as a literal one is by synth.
    const entry = Object.entries<any>(json.resource.terraform_data).find(([name]) => name.startsWith('entry_Carrier_'))![1];
    expect(Object.keys(entry.for_each)).toEqual(['${var.provider}/${lower(var.name)}']);
  });
});

describe('the undo registry reads what it can of a spec Terraform evaluates', () => {
  const deleted = {
    v: SPEC_VERSION,
    operation: 'CertificateDeployment' as const,
    stack: 'unit',
    path: 'unit/old',
    key: S1,
    certificateId: 3,
    store: { certificateStoreId: S1, alias: 'web' },
    schedule: { Immediate: true as const },
    removeOnDestroy: true,
  };

  function configured(build: (s: TerraformStack) => void): string {
    const s = stack();
    build(s);
    const dir = tempDir('kf-known-');
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(synthJson(s)));
    return dir;
  }

  test('a construct whose store or alias is a reference may own the deleted construct\'s target: a candidate, decided at apply with its ledger record', () => {
    const x = (s: TerraformStack) => new TerraformVariable(s, 'x', { type: 'string' }).stringValue;
    const aliasRef = configured((s) => deploy(s, { stores: [{ certificateStoreId: S1, alias: x(s) }] }));
    expect(deletedConstructDecision(deleted, 'terraform_data.old_Carrier_1', aliasRef)).toMatchObject({ undo: false, reason: 'uncertain', candidates: [expect.objectContaining({ path: 'unit/web' })] });
    const storeRef = configured((s) => deploy(s, { stores: [{ certificateStoreId: x(s), key: 'k', alias: 'web' }] }));
    expect(deletedConstructDecision(deleted, 'terraform_data.old_Carrier_1', storeRef)).toMatchObject({ reason: 'uncertain', candidates: [expect.objectContaining({ key: 'k' })] });
    // Its literal values tell it apart: another store, or another alias.
    const otherStore = configured((s) => deploy(s, { stores: [{ certificateStoreId: S2, alias: x(s) }] }));
    expect(deletedConstructDecision(deleted, 'terraform_data.old_Carrier_1', otherStore)).toEqual({ undo: true });
    const otherAlias = configured((s) => deploy(s, { certificateId: Token.asNumber(x(s)), stores: [{ certificateStoreId: S1, alias: 'api' }] }));
    expect(deletedConstructDecision(deleted, 'terraform_data.old_Carrier_1', otherAlias)).toEqual({ undo: true });
    // A literal owner is certain, and preferred.
    const both = configured((s) => {
      deploy(s, { stores: [{ certificateStoreId: S1, alias: x(s) }] }, 'ref');
      deploy(s, { stores: [{ certificateStoreId: S1, alias: 'web' }] });
    });
    expect(deletedConstructDecision(deleted, 'terraform_data.old_Carrier_1', both)).toEqual({ undo: false, reason: 'taken-over', by: expect.objectContaining({ path: 'unit/web' }) });
  });
});
