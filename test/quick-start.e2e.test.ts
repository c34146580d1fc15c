import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './support/runtime';
import { startSimulator, StartedSimulator } from './support/simulator';

/**
 * The README's Quick start, as a newcomer follows it: the packed tarball installed into an empty
 * app with its peer dependencies, the README's own cdktf.json, tsconfig.json and main.ts, synth,
 * apply against the simulator, `cdktf-keyfactor outputs`, destroy. cdktf-cli (the user's own tool)
 * is not installed: the app runs as `cdktf synth` runs it, and terraform applies the stack directory
 * as `cdktf deploy` does. Needs a compiled tree (`npm test` compiles first).
 */
const ROOT = path.resolve(__dirname, '..');

/** The files the README's Quick start shows, by name: a line naming the file in backticks, then its block. */
function quickStartFiles(): Record<string, string> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Quick start: a new app against the simulator');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
  const files: Record<string, string> = {};
  for (const m of section.matchAll(/^`([\w.]+)`[^\n]*:\n\n```\w*\n([\s\S]*?)```/gm)) files[m[1]] = m[2];
  return files;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const res = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** Asynchronous, so the simulator in this process answers the runner. */
async function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('terraform', [...args, '-input=false', '-no-color'], { cwd, env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  if (status !== 0) throw new Error(`terraform ${args[0]} failed:\n${out}`);
  return out;
}

describe('the README Quick start', () => {
  let sim: StartedSimulator;
  beforeAll(async () => (sim = await startSimulator({ tls: false, jobTiming: { waitingMs: 20, inProcessMs: 20 } })));
  afterAll(async () => sim.sim.stop());

  test('a new app written from it installs, synthesizes, deploys against the simulator, records the job GUID and destroys', async () => {
    const files = quickStartFiles();
    expect(Object.keys(files).sort()).toEqual(['cdktf.json', 'main.ts', 'tsconfig.json']);
    expect(JSON.parse(files['cdktf.json']).app).toBe('npx ts-node main.ts');

    const packDir = tempDir('kf-pack-');
    const tarball = path.join(packDir, run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], ROOT).trim().split('\n').pop()!);
    const app = tempDir('kf-quick-start-');
    run('npm', ['init', '-y'], app);
    // As the README says, with the versions it names (in npm's cache after `npm ci` here).
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', 'cdktf@0.21.0', 'constructs@10.4.2', tarball], app);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(app, name), text);

    // The optional peer stays out of an app that does not ask for it, and asking says how to get it.
    expect(fs.existsSync(path.join(app, 'node_modules', '@cdktf', 'provider-null'))).toBe(false);
    const nullCarrier = spawnSync('node', ['-e', `
      const { App, TerraformStack } = require('cdktf');
      const k = require('cdktf-keyfactor');
      const s = new TerraformStack(new App(), 's');
      new k.CertificateStorePassword(s, 'pw', { certStoreId: '11111111-1111-4111-8111-000000000001', newPassword: k.Secret.fromEnv('P'), carrier: k.Carrier.nullResource() });
    `], { cwd: app, encoding: 'utf8' });
    expect(nullCarrier.stderr).toContain('Carrier.nullResource() needs the @cdktf/provider-null package: `npm install @cdktf/provider-null@^11`');

    // `npx ts-node main.ts`, as cdktf synth runs it (ts-node from this checkout: cdktf-cli is the user's tool).
    run('node', ['-r', require.resolve('ts-node/register'), 'main.ts'], app);
    const stackDir = path.join(app, 'cdktf.out', 'stacks', 'certificates');
    const env = { ...process.env, ...sim.env, CHECKPOINT_DISABLE: '1' };
    await terraform(['init'], stackDir, env);
    const applied = await terraform(['apply', '-auto-approve'], stackDir, env);
    expect(applied).toMatch(/added certificate 3 to store 11111111-1111-4111-8111-000000000001 as "api": job [0-9a-f-]{36}/);
    expect(applied).toContain('all 1 job(s) completed');

    const cli = path.join(app, 'node_modules', '.bin', 'cdktf-keyfactor');
    expect(run(cli, ['--version'], app).trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    const outputs = run(cli, ['outputs'], app, env);
    expect(outputs).toMatch(/certificates\/web \[11111111-1111-4111-8111-000000000001\] +CertificateDeployment +create +succeeded +[0-9a-f-]{36}/);

    await terraform(['destroy', '-auto-approve'], stackDir, env);
    expect(sim.sim.received('POST', '/CertificateStores/Certificates/Remove').map((r) => (r.body as any).CertificateStores[0].Alias)).toEqual(['api']);
  });
});
