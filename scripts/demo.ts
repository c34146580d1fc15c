/**
 * `npm run demo`: the main job on one machine, with nothing but node and terraform.
 * Starts the Keyfactor Command simulator, synthesizes examples/ and applies it with
 * terraform, prints the recorded job GUIDs, destroys, stops the simulator.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend } from 'cdktf';
import { buildExample } from '../examples/main';
import { formatOutputs } from '../src/cli/outputs';
import { Ledger } from '../src';
import { DEFAULT_SEED, KeyfactorSimulator } from '../src/simulator';

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-keyfactor-demo-'));
  const ledger = path.join(work, 'ledger');
  const sim = await KeyfactorSimulator.start({ jobTiming: { waitingMs: 200, inProcessMs: 300 } });
  const user = DEFAULT_SEED.users[0];
  const env = {
    ...process.env,
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_USERNAME: user.username,
    KEYFACTOR_PASSWORD: user.password,
    KEYFACTOR_DOMAIN: user.domain ?? '',
    CDKTF_KEYFACTOR_LEDGER_DIR: ledger,
    // Demo-only secret values: the runner reads them at apply time; none is synthesized.
    API_KEYSTORE_ENTRY_PASSWORD: 'demo-keystore-entry-password',
    APP_01_KEYSTORE_PASSWORD: 'demo-app-keystore-password',
    WEB_01_STORE_PASSWORD: 'demo-web-store-password',
    PFX_REPLACEMENT_PASSWORD: 'demo-pfx-password',
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
  let failed = false;
  try {
    step(`Simulator on ${sim.url}; working directory ${work}`);
    const app = new App({ outdir: path.join(work, 'cdktf.out') });
    const stack = buildExample(app);
    new LocalBackend(stack, { path: path.join(work, 'terraform.tfstate') });
    app.synth();
    const stackDir = path.join(work, 'cdktf.out', 'stacks', 'keyfactor-example');
    step('terraform init && terraform apply');
    await terraform(['init', '-input=false'], stackDir, env);
    await terraform(['apply', '-auto-approve', '-input=false'], stackDir, env);
    step('Recorded job GUIDs (npx cdktf-keyfactor outputs)');
    console.log(formatOutputs(Ledger.read(ledger), false));
    step('terraform destroy');
    await terraform(['destroy', '-auto-approve', '-input=false'], stackDir, env);
    step('Ledger after destroy');
    console.log(formatOutputs(Ledger.read(ledger), false));
    const jobs = sim.jobs();
    const count = (op: string) => jobs.filter((j) => j.Operation === op).length;
    step(`Done: the simulator created ${jobs.length} orchestrator jobs (${count('Add')} Add, ${count('Remove')} Remove, ` +
      `${count('PfxReplace')} PFX replace, ${count('Reenrollment')} reenrollment), received ` +
      `${sim.received('PUT', '/CertificateStores/Password').length} store password update(s) and left ${sim.pamEntries(1).length} PAM entries.`);
  } catch (e) {
    failed = true;
    console.error(`demo failed: ${(e as Error).message}`);
  } finally {
    await sim.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

function step(text: string): void {
  console.log(`\n=== ${text}`);
}

/** Async on purpose: the simulator runs in this process and must keep answering. */
async function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn('terraform', args, { cwd, env, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`terraform ${args[0]} exited with ${code}`);
}

void main();
