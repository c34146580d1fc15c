import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { addExamples, STORES } from '../../examples/main';
import { CertificateDeployment, Ledger, PamLocalEntry, Schedule, Secret, WaitPolicy } from '../../src';
import { runDrift } from '../../src/cli/drift';
import { exampleSecrets } from '../support/runtime';
import { endToEnd } from '../support/terraform';

/**
 * Leaving CDK: the examples synthesized as HCL (`cdktf synth --hcl`) are applied, edited by hand
 * and destroyed with plain terraform against the simulator, the runner travelling in the stack
 * directory. The same app synthesized as JSON plans no change against that state, so a stack
 * deployed with cdktf can switch without re-running anything.
 */
const SECRETS = exampleSecrets('hcl');

/** `text` with the block or map entry that starts on the line matching `start` (through its closing brace) replaced by `edit` of it. */
function editBlock(text: string, start: RegExp, edit: (block: string) => string): string {
  const lines = text.split('\n');
  const from = lines.findIndex((l) => start.test(l));
  if (from < 0) throw new Error(`no line matches ${start}`);
  let depth = 0;
  for (let to = from; to < lines.length; to++) {
    // Braces inside the specs' strings are balanced, so a plain count finds the end.
    for (const c of lines[to]) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
    if (depth === 0) return [...lines.slice(0, from), edit(lines.slice(from, to + 1).join('\n')), ...lines.slice(to + 1)].join('\n');
  }
  throw new Error(`the block at line ${from + 1} does not end`);
}

const withoutBlock = (text: string, start: RegExp) => editBlock(text, start, () => '');

describe('cdktf synth --hcl, then plain terraform', () => {
  const e2e = endToEnd();

  test('applies, plans no change as JSON, takes hand edits (specs changed, operations deleted), destroys', async () => {
    const { sim, env: connection } = e2e.started();
    const env = { ...connection, ...SECRETS, ESCAPED_SECRET: 'hcl-escaped-secret' };
    const p = e2e.project('hcl');
    const adds = () => sim.received('POST', '/CertificateStores/Certificates/Add');
    const removes = () => sim.received('POST', '/CertificateStores/Certificates/Remove');
    // The examples, a deployment with a wait, and a spec with characters Terraform's jsonencode escapes (JSON.stringify does not).
    const build = (scope: Construct) => {
      addExamples(scope);
      new CertificateDeployment(scope, 'waited', {
        certificateId: 3, schedule: Schedule.immediate(), wait: WaitPolicy.forCompletion({ pollIntervalSeconds: 0.2 }), stores: [{ certificateStoreId: STORES.iisWeb2, alias: 'waited' }],
      });
      new PamLocalEntry(scope, 'escaped', {
        providerId: 1, secretName: 'escaped', secretValue: Secret.fromEnv('ESCAPED_SECRET'), description: 'a <b> & c \u2028 d, and as text: \\u003c \\\\',
      });
      // Keys Terraform sorts differently from JavaScript: this spec stays JSON text in HCL.
      new CertificateDeployment(scope, 'numbered', {
        certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: STORES.javaKeystore, alias: 'numbered', jobFields: { 9: 'nine', 10: 'ten' } }],
      });
    };

    p.synth(build, {}, { hcl: true });
    const file = path.join(p.stackDir, 'cdk.tf');
    expect(fs.existsSync(path.join(p.stackDir, 'cdk.tf.json'))).toBe(false);
    // Specs are HCL a team can read and edit, not JSON text.
    expect(fs.readFileSync(file, 'utf8')).toMatch(/spec = "\$\{jsonencode\(\{"certificateId" = 3, /);
    // As cdktf-cli leaves it (the library API writes it unformatted; test/runtime/hcl.test.ts reads that).
    await p.mustRun(['fmt'], env);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/spec += "\$\{jsonencode\(\{ "certificateId" = 3, /);
    await p.apply(env);
    const sent = (requests: Array<{ body: unknown }>) => requests.map((r) => {
      const store = (r.body as any).CertificateStores[0];
      return `${store.CertificateStoreId} ${store.Alias}`;
    }).sort();
    expect(sent(adds())).toEqual([
      `${STORES.iisWeb1} www.example.com`, `${STORES.iisWeb2} waited`, `${STORES.iisWeb2} www.example.com`, `${STORES.javaKeystore} api`, `${STORES.javaKeystore} numbered`,
    ]);
    expect(sim.received('PUT', '/CertificateStores/Password')).toHaveLength(2);
    expect(sim.received('POST', '/Enrollment/PFX/Replace')).toHaveLength(2);
    expect(sim.received('POST', '/CertificateStores/Reenrollment')).toHaveLength(2);
    expect(sim.pamEntries(1).map((e) => e.SecretName)).toEqual(expect.arrayContaining(['web-01-store-password', 'escaped']));
    // Every create recorded its job GUIDs.
    const created = Ledger.read(p.ledgerDir).filter((r) => r.phase === 'create' && r.operation === 'CertificateDeployment');
    expect(created).toHaveLength(5);
    created.forEach((r) => expect(r.jobIds).toHaveLength(1));
    // Later, the CLI still tells whether each certificate is where it was put (as for the same stack as JSON, below).
    const drift = async () => {
      const lines: string[] = [];
      expect(await runDrift({ outdir: p.outdir, json: true }, { ...process.env, ...connection }, (l) => lines.push(l))).toBe(0);
      return Object.fromEntries(JSON.parse(lines.join('\n')).results.map((r: any) => [r.label, r.verdict]));
    };
    const verdicts = await drift();
    expect(verdicts).toMatchObject({
      [`CertificateDeployment hcl/web-certificate [${STORES.iisWeb1}]`]: 'in-sync',
      [`CertificateDeployment hcl/web-certificate [${STORES.iisWeb2}]`]: 'in-sync',
    });

    // The same app as JSON: the state matches it exactly (the specs and the hashes Terraform
    // computes from them are what cdktf wrote), so a deployed stack leaves CDK re-running nothing.
    const plan = () => p.terraform(['plan', '-detailed-exitcode', '-input=false', '-no-color'], env);
    p.synth(build);
    expect((await plan()).status).toBe(0);
    expect(await drift()).toEqual(verdicts);

    // Back to HCL, edited by hand: the web certificate's alias changed in its spec, and the API
    // certificate's deployment deleted (its resource block and its undo-registry entry).
    p.synth(build, {}, { hcl: true });
    // Each spec is written once: the undo registry refers to it.
    let text = editBlock(fs.readFileSync(file, 'utf8'), /^ *web-certificate_CarrierInstances_/, (b) => b.replace(/"alias" = "www\.example\.com"/g, '"alias" = "www2.example.com"'));
    text = editBlock(text, /^ *waited_CarrierInstances_/, (b) => b.replace('"alias" = "waited"', '"alias" = "waited-2"'));
    text = withoutBlock(text, /^resource "terraform_data" "api-certificate_Carrier_/);
    text = withoutBlock(text, /^ *"hcl\/api-certificate\/Carrier\[/);
    fs.writeFileSync(file, text);
    const [addsBefore, removesBefore] = [adds().length, removes().length];
    await p.apply(env);
    expect(sent(removes().slice(removesBefore))).toEqual([
      `${STORES.iisWeb1} www.example.com`, `${STORES.iisWeb2} waited`, `${STORES.iisWeb2} www.example.com`, `${STORES.javaKeystore} api`,
    ]);
    expect(sent(adds().slice(addsBefore))).toEqual([`${STORES.iisWeb1} www2.example.com`, `${STORES.iisWeb2} waited-2`, `${STORES.iisWeb2} www2.example.com`]);
    // The wait ran again, over the new Add's job.
    const waits = Ledger.read(p.ledgerDir).filter((r) => r.operation === 'JobWait' && r.constructPath === 'hcl/waited' && r.outcome === 'succeeded');
    expect(waits.map((r) => r.jobIds)).toEqual([[created.find((r) => r.constructPath === 'hcl/waited')!.jobIds[0]], [expect.any(String)]]);
    expect(waits[1].jobIds[0]).not.toBe(waits[0].jobIds[0]);
    expect((await plan()).status).toBe(0);

    // The edited deployment deleted by hand: its undo (the registry's) removes the alias it has now.
    text = withoutBlock(fs.readFileSync(file, 'utf8'), /^resource "terraform_data" "waited_Carrier_/);
    text = withoutBlock(withoutBlock(text, /^resource "terraform_data" "waited_Wait_/), /^ *"hcl\/waited\/Carrier\[/);
    fs.writeFileSync(file, text);
    await p.apply(env);
    expect(sent(removes().slice(removesBefore + 4))).toEqual([`${STORES.iisWeb2} waited-2`]);

    await p.destroy(env);
    expect(sent(removes().slice(removesBefore + 5))).toEqual([`${STORES.iisWeb1} www2.example.com`, `${STORES.iisWeb2} www2.example.com`, `${STORES.javaKeystore} numbered`]);
    expect(sim.pamEntries(1).map((e) => e.SecretName)).not.toEqual(expect.arrayContaining(['web-01-store-password']));
    expect(sim.pamEntries(1).map((e) => e.SecretName)).not.toEqual(expect.arrayContaining(['escaped']));
    expect(p.output).not.toContain(SECRETS.API_KEYSTORE_ENTRY_PASSWORD);
    expect(p.output).not.toContain(env.ESCAPED_SECRET);
  });
});
