/**
 * One synth measurement, in a fresh process (so every repetition pays the same JIT warm-up):
 *
 *   node -r ts-node/register/transpile-only bench/synth-child.ts <operations|baseline> <count> <outdir>
 *
 * Prints one JSON line: {kind, count, loadMs, synthMs}. `synthMs` is construction plus
 * `app.synth()` (writing cdk.tf.json); `loadMs` is loading the modules, reported apart because
 * it does not grow with the number of constructs. The App skips cdktf's validation unless
 * BENCH_VALIDATION=1 (see run.ts for why).
 */
import { performance } from 'perf_hooks';

const [kind, countArg, outdir] = process.argv.slice(2);
const count = Number(countArg);
if ((kind !== 'operations' && kind !== 'baseline') || !(count > 0) || !outdir) {
  throw new Error('usage: synth-child.ts operations|baseline <count> <outdir>');
}

const loadStart = performance.now();
/* eslint-disable @typescript-eslint/no-require-imports */
const cdktf = require('cdktf') as typeof import('cdktf');
const lib = kind === 'operations' ? (require('../lib') as typeof import('../src')) : undefined;
/* eslint-enable @typescript-eslint/no-require-imports */
const loadMs = performance.now() - loadStart;

/** A store GUID per construct: 33333333-3333-4333-8333-<12 digits>. */
const storeGuid = (i: number) => `33333333-3333-4333-8333-${String(i + 1).padStart(12, '0')}`;

const start = performance.now();
// cdktf validates on synth unless told not to; BENCH_VALIDATION=1 keeps its default.
const app = new cdktf.App({ outdir, skipValidation: process.env.BENCH_VALIDATION !== '1' });
const stack = new cdktf.TerraformStack(app, 'bench');
if (lib) {
  for (let i = 0; i < count; i++) {
    new lib.CertificateDeployment(stack, `deployment-${i}`, {
      certificateId: 1 + (i % 5),
      schedule: lib.Schedule.immediate(),
      stores: [{ certificateStoreId: storeGuid(i), alias: `app-${i}`, includePrivateKey: true, overwrite: true }],
    });
  }
} else {
  // What a hand-written stack would hold for the same work: one terraform_data per operation,
  // the spec (same size, as a literal) in its input, its hash as the replacement trigger, and
  // the same create and destroy local-exec provisioners. No validation, no for_each.
  const runner = 'assets/KeyfactorRunner/0123456789ABCDEF0123456789ABCDEF/runner.cjs';
  for (let i = 0; i < count; i++) {
    const spec = `{"certificateId":${1 + (i % 5)},"key":"${storeGuid(i)}","operation":"CertificateDeployment",` +
      `"path":"bench/deployment-${i}","removeOnDestroy":true,"schedule":{"Immediate":true},"stack":"bench",` +
      `"store":{"alias":"app-${i}","certificateStoreId":"${storeGuid(i)}","includePrivateKey":true,"overwrite":true},"v":1,` +
      '"wait":{"mode":"none"}}';
    const hash = (0x10000000 + i).toString(16).padStart(16, '0');
    const environment = { CDKTF_KEYFACTOR_SPEC: '${self.input.spec}', CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR: '../../../.keyfactor-ledger' };
    new cdktf.DataResource(stack, `deployment-${i}`, {
      input: { spec, hash },
      triggersReplace: { hash },
      provisioners: [
        { type: 'local-exec', command: `node "${runner}" create`, environment },
        { type: 'local-exec', command: `node "${runner}" destroy`, environment, when: 'destroy' },
      ],
    });
  }
}
app.synth();
const synthMs = performance.now() - start;
process.stdout.write(JSON.stringify({ kind, count, loadMs, synthMs }) + '\n');
