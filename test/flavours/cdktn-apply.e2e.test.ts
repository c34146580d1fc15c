/**
 * The two flavours behave the same: examples/main.ts (every construct) is synthesized with the
 * cdktf build (lib/) and with the cdktn build (flavours/cdktn/lib), each in its own node process
 * with the framework's own App, then applied and destroyed with the real terraform against one
 * simulator. Command must receive the same requests from both, and the configurations must be
 * the same but for the framework's version.
 *
 * The cdktn app is the example's source turned into cdktn code by the same rewrites the build
 * applies to src/ (build-tools/flavour-cdktn-rewrites.cjs). Needs a compiled tree.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { DEFAULT_SEED, RecordedRequest } from '../../src/simulator';
import { exampleSecrets } from '../support/runtime';
import { connectionEnv } from '../support/simulator';
import { endToEnd, TerraformProject } from '../support/terraform';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { rewriteSource } = require(path.join(ROOT, 'build-tools', 'flavour-cdktn-rewrites.cjs')) as { rewriteSource: (file: string, text: string) => string };

interface Flavour { name: string; lib: string; rewrite: (file: string, text: string) => string }
const CDKTF: Flavour = { name: 'cdktf', lib: path.join(ROOT, 'lib'), rewrite: (_file, text) => text };
const CDKTN: Flavour = { name: 'cdktn', lib: path.join(ROOT, 'flavours', 'cdktn', 'lib'), rewrite: rewriteSource };

/** The app's entry point, in cdktf terms (rewritten for cdktn like the example): as scripts/demo.ts synthesizes it. */
const DRIVER = `
import * as path from 'path';
import { App, LocalBackend } from 'cdktf';
import { buildExample } from './examples/main';

const app = new App({ outdir: path.join(__dirname, 'cdktf.out') });
const stack = buildExample(app);
new LocalBackend(stack, { path: path.join(__dirname, 'terraform.tfstate') });
app.synth();
`;

/** The examples' apply-time secrets (read by the runner; none is synthesized). */
const SECRETS = exampleSecrets('e2e');

/**
 * Writes the example app for `flavour` into `dir` (examples/ and the driver, as JavaScript, the
 * library imported from the flavour's compiled lib/) and synthesizes it with node.
 */
function synthesize(flavour: Flavour, dir: string): void {
  const sources: Record<string, string> = { 'main.ts': DRIVER };
  for (const file of fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'))) {
    sources[`examples/${file}`] = fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8');
  }
  for (const [file, text] of Object.entries(sources)) {
    const source = flavour.rewrite(file, text).replace(/from '\.\.\/src'/g, `from ${JSON.stringify(flavour.lib)}`);
    if (flavour === CDKTN) expect(source).not.toMatch(/from 'cdktf'/);
    const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    const js = ts.transpileModule(source, { compilerOptions }).outputText;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), js);
  }
  // The frameworks (and constructs) from this checkout's node_modules: the app directory has none.
  const res = spawnSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } });
  if (res.status !== 0) throw new Error(`${flavour.name} synth failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?/g;
/** The simulator's seeded GUIDs (stores, agents...): the same in both runs. */
const SEEDED = new Set((JSON.stringify(DEFAULT_SEED).match(GUID) ?? []).map((g) => g.toLowerCase()));
/** GUIDs the simulator did not seed (its jobs', its new objects') and timestamps vary from run to run. */
function stable(text: string, seeded: Set<string>): string {
  return text.replace(GUID, (g) => (seeded.has(g.toLowerCase()) ? g : '<guid>')).replace(TIME, '<time>');
}

/**
 * One line per request Command received, sorted (terraform applies in parallel): method, path,
 * query and body. Status polls of a job are counted once: how often the runner asks depends on
 * timing.
 */
function requestLines(requests: RecordedRequest[], seeded: Set<string>): string[] {
  const lines = requests.map((r) => stable(`${r.method} ${r.path}${r.rawQuery ? `?${r.rawQuery}` : ''} ${JSON.stringify(r.body ?? null)}`, seeded));
  const gets = new Set(lines.filter((l) => l.startsWith('GET ')));
  return [...lines.filter((l) => !l.startsWith('GET ')), ...gets].sort();
}

/**
 * The stack's configuration without its metadata (which names the framework's version, returned
 * apart) and with the run's directory masked.
 */
function configuration(project: TerraformProject): { version: string; config: unknown } {
  const json = JSON.parse(fs.readFileSync(path.join(project.stackDir, 'cdk.tf.json'), 'utf8'));
  const version = json['//'].metadata.version;
  delete json['//'];
  return { version, config: JSON.parse(JSON.stringify(json).split(project.dir).join('<dir>')) };
}

describe('the cdktf and cdktn flavours', () => {
  const e2e = endToEnd();
  const runs: Record<string, { requests: string[]; config: { version: string; config: unknown }; log: string }> = {};

  async function applyAndDestroy(flavour: Flavour): Promise<void> {
    const { sim } = e2e.started();
    sim.reset();
    const project = e2e.project('keyfactor-example');
    synthesize(flavour, project.dir);
    const env = { ...connectionEnv(sim), ...SECRETS, CDKTF_KEYFACTOR_LEDGER_DIR: project.ledgerDir };
    const log = (await project.apply(env)) + (await project.destroy(env));
    runs[flavour.name] = { requests: requestLines(sim.requests, SEEDED), config: configuration(project), log };
  }

  test('cdktf: examples/main.ts applies and destroys against the simulator', async () => {
    await applyAndDestroy(CDKTF);
    expect(runs.cdktf.requests.length).toBeGreaterThan(20);
    expect(runs.cdktf.log).toContain('Destroy complete!');
  }, 300_000);

  test('cdktn: the same app, built with cdktn-keyfactor on cdktn, applies and destroys', async () => {
    await applyAndDestroy(CDKTN);
    expect(runs.cdktn.log).toContain('Destroy complete!');
  }, 300_000);

  test('Command received the same requests from both, and both configurations are the same', () => {
    expect(runs.cdktn.requests).toEqual(runs.cdktf.requests);
    // Each app ran on its own framework...
    expect(runs.cdktf.config.version).toBe('0.21.0');
    expect(runs.cdktn.config.version).toBe('0.24.0');
    // ...and rendered the same configuration.
    expect(runs.cdktn.config.config).toEqual(runs.cdktf.config.config);
  });
});
