import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { startSimulator, StartedSimulator } from './simulator';
import { KeyfactorDefaults, KeyfactorDefaultsProps } from '../../src';

export interface SynthOptions {
  /** false: no KeyfactorDefaults; props: these; default: the project's own ledger directory. */
  readonly defaults?: boolean | KeyfactorDefaultsProps;
  /** The stack's backend; default: a local state file in the project directory. */
  readonly backend?: (stack: TerraformStack) => void;
  /** Synthesize HCL (cdk.tf) as `cdktf synth --hcl` does. */
  readonly hcl?: boolean;
  /** Synthesize from the project directory, as `cdktf synth` runs there. */
  readonly inProject?: boolean;
}

/**
 * A throwaway cdktf project: synthesizes a stack into its own cdktf.out and runs the real
 * terraform binary on it, collecting every byte terraform printed.
 */
export class TerraformProject {
  /** Text of every file below `dir` (for secret-leak checks). */
  static filesText(...dirsOrFiles: string[]): string {
    let text = '';
    for (const p of dirsOrFiles) {
      if (!fs.existsSync(p)) continue;
      if (fs.statSync(p).isDirectory()) {
        for (const e of fs.readdirSync(p)) text += TerraformProject.filesText(path.join(p, e));
      } else {
        text += fs.readFileSync(p, 'utf8');
      }
    }
    return text;
  }

  readonly dir: string;
  readonly outdir: string;
  readonly ledgerDir: string;
  /** Everything terraform printed, all runs, stdout and stderr. */
  output = '';

  constructor(readonly stackName: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kf-e2e-'));
    this.outdir = path.join(this.dir, 'cdktf.out');
    this.ledgerDir = path.join(this.dir, 'ledger');
  }

  get stackDir(): string {
    return path.join(this.outdir, 'stacks', this.stackName);
  }

  /**
   * Synthesizes (or re-synthesizes) the stack; state lives beside it and survives re-synth.
   * `env` is set in this process while the app synthesizes, as `cdktf deploy` synthesizes in the
   * shell that holds the secrets: leak checks then show that no construct reads a value at synth.
   * `defaults: false` leaves out the stack's KeyfactorDefaults; `hcl: true` synthesizes HCL
   * (cdk.tf) as `cdktf synth --hcl` does, in place of cdk.tf.json.
   */
  synth(build: (stack: Construct) => void, env: Record<string, string> = {}, options: SynthOptions = {}): void {
    // As cdktf-cli asks for HCL: each stack reads the variable when created.
    env = { ...env, SYNTH_HCL_OUTPUT: options.hcl ? 'true' : '' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    // cdktf writes one of the two and leaves the other; Terraform would read both.
    for (const file of ['cdk.tf', 'cdk.tf.json']) fs.rmSync(path.join(this.stackDir, file), { force: true });
    const cwd = process.cwd();
    // As `cdktf synth` runs in the project directory: relative paths (the local ledger) resolve there.
    if (options.inProject) process.chdir(this.dir);
    try {
      const app = new App({ outdir: this.outdir, hclOutput: options.hcl === true });
      const stack = new TerraformStack(app, this.stackName);
      if (options.backend) options.backend(stack);
      else new LocalBackend(stack, { path: path.join(this.dir, 'terraform.tfstate') });
      // Without defaults the ledger is at the runner's default, unless the apply sets CDKTF_KEYFACTOR_LEDGER_DIR.
      const defaults = options.defaults === undefined || options.defaults === true ? { ledgerDirectory: this.ledgerDir } : options.defaults;
      if (defaults !== false) new KeyfactorDefaults(stack, 'KeyfactorDefaults', defaults);
      build(stack);
      app.synth();
    } finally {
      process.chdir(cwd);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  /**
   * Runs terraform asynchronously: the simulator lives in this process, so a blocking spawn
   * would stop it from answering the runner.
   */
  async terraform(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
    return this.start(args, env).done;
  }

  /**
   * Starts terraform and returns its process (to signal it) with its result. In its own process
   * group, as a CI job's shell is: a signal to `-pid` reaches terraform and every provisioner.
   */
  start(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<{ status: number; stdout: string; stderr: string }> } {
    const child = spawn('terraform', args, {
      cwd: this.stackDir,
      env: { ...cleanEnv(), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', ...env },
      detached: true,
    });
    return { child, done: this.collect(child) };
  }

  private async collect(child: ChildProcess): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const status = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? -1));
    });
    this.output += stdout + stderr;
    return { status, stdout, stderr };
  }

  /** init + apply; throws with terraform's output if it fails. */
  async apply(env: Record<string, string>, extra: string[] = []): Promise<string> {
    await this.mustRun(['init', '-input=false', '-no-color'], env);
    return this.mustRun(['apply', '-auto-approve', '-input=false', '-no-color', ...extra], env);
  }

  async destroy(env: Record<string, string>): Promise<string> {
    return this.mustRun(['destroy', '-auto-approve', '-input=false', '-no-color'], env);
  }

  async mustRun(args: string[], env: Record<string, string>): Promise<string> {
    const res = await this.terraform(args, env);
    if (res.status !== 0) throw new Error(`terraform ${args[0]} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
    return res.stdout + res.stderr;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The test process's environment without any Keyfactor settings a developer may have set. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('KEYFACTOR_') && !k.startsWith('TF_')) env[k] = v;
  }
  return env;
}

/**
 * For an end-to-end describe block: one simulator (over TLS, jobs done in about 40 ms) for all its
 * tests, and the projects they create, removed after them.
 */
export function endToEnd(): { readonly started: () => StartedSimulator; readonly project: (stackName: string) => TerraformProject } {
  let started: StartedSimulator | undefined;
  const projects: TerraformProject[] = [];
  beforeAll(async () => {
    started = await startSimulator({ jobTiming: { waitingMs: 20, inProcessMs: 20 } });
  });
  afterAll(async () => {
    await started?.sim.stop();
    projects.forEach((p) => p.cleanup());
  });
  return {
    started: () => started!,
    project: (stackName) => {
      const project = new TerraformProject(stackName);
      projects.push(project);
      return project;
    },
  };
}
