import * as fs from 'fs';
import * as path from 'path';
import { RUNNER_BUNDLE } from '../../src/synth/provisioner';

/**
 * The runner bundle runs where only node is installed (often an air-gapped apply stage): what
 * esbuild put into it must hold no cdktf, constructs or synth-only code. Read from the metafile
 * `npm run compile` writes beside the bundle.
 */
describe('runner bundle contents', () => {
  const meta = JSON.parse(fs.readFileSync(path.join(path.dirname(RUNNER_BUNDLE), '..', 'runner.meta.json'), 'utf8'));
  const inputs = Object.keys(meta.inputs as Record<string, unknown>).map((p) => p.split(path.sep).join('/'));

  test('is built from the runner entry point, the runtime and the operations\' apply halves', () => {
    expect(inputs).toContain('src/runner/main.ts');
    expect(inputs).toContain('src/runtime/settings.ts');
    expect(inputs).toContain('src/operations/certificate-deployment/run.ts');
    expect(inputs.some((p) => p.startsWith('node_modules/axios/'))).toBe(true);
    // The rules a reference's evaluated value is checked with at apply (the same as at synth).
    expect(inputs).toEqual(expect.arrayContaining(['src/contract/rules.ts', 'src/operations/certificate-store-reenrollment/x500.ts']));
  });

  test('holds no cdktf, constructs or synth-only module', () => {
    const forbidden = inputs.filter((p) =>
      /(^|\/)node_modules\/(cdktf|constructs|@cdktf)\//.test(p) ||
      p.startsWith('src/synth/') ||
      /^src\/operations\/[^/]+\/(construct|subject-alternative-name)\.ts$/.test(p) ||
      p === 'src/index.ts' || p === 'src/ledger.ts');
    expect(forbidden).toEqual([]);
  });

  test('holds no ledger store SDK and no store client: each is its own bundle, loaded only when a ledger lives there', () => {
    const sdks = inputs.filter((p) => /(^|\/)node_modules\/(@aws-sdk|@smithy|@azure|pg|pg-[a-z-]+)\//.test(p) || /^src\/runtime\/ledger\/stores\/[^/]+\/client\.ts$/.test(p));
    expect(sdks).toEqual([]);
    // The stores' configuration halves are in: the runner decides where the ledger is before loading any client.
    expect(inputs).toEqual(expect.arrayContaining(['src/runtime/ledger/stores/s3/config.ts', 'src/runtime/ledger/stores/postgres/config.ts']));
  });
});
