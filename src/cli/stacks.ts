/**
 * What the CLI commands that look at applied stacks share: the synthesized stacks of an app, their
 * configuration, and their Terraform state as `terraform show -json` gives it (so any backend works).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_LEDGER_DIRECTORY, DEFAULT_LEDGER_ENV, LEDGER_ENV } from '../contract/environment';
import { SPEC_VERSION, SpecBase } from '../contract/spec';
import { Configuration, readConfiguration as readRuntimeConfiguration } from '../runtime/configuration';
import { RunnerError } from '../runtime/errors';

export type { Configuration } from '../runtime/configuration';

/** The attribute of each carrier type that holds the spec. */
export const CARRIER_TYPES = { terraform_data: 'input', null_resource: 'triggers' } as const;

export interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly values: Record<string, unknown>;
}

export function readConfiguration(dir: string, stack: string): Configuration {
  return readRuntimeConfiguration(dir, `read stack "${stack}"`, 'Run `cdktf synth` first.');
}

/** Whether `dir` holds a configuration: cdk.tf.json, or `.tf` files (`cdktf synth --hcl`). */
function holdsConfiguration(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((n) => n === 'cdk.tf.json' || n.endsWith('.tf'));
  } catch {
    return false;
  }
}

export function synthesizedStacks(outdir: string): string[] {
  const stacksDir = path.join(outdir, 'stacks');
  const names = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).filter((n) => holdsConfiguration(path.join(stacksDir, n))).sort() : [];
  if (names.length === 0) throw new RunnerError(`no synthesized stacks in ${outdir}: run \`cdktf synth\` first (or pass --outdir).`);
  return names;
}

/** The stack's state as `terraform show -json` gives it (any backend), after `terraform init` when the directory needs it. */
export function stateResources(dir: string, env: NodeJS.ProcessEnv): StateResource[] {
  // Otherwise spawn reports the missing directory as a missing `terraform` (ENOENT).
  if (!holdsConfiguration(dir)) {
    throw new RunnerError(`no synthesized stack "${path.basename(dir)}" in ${path.dirname(path.dirname(dir))}: check the --stack name, or run \`cdktf synth\` first.`);
  }
  const terraform = (args: string[]) => spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (!fs.existsSync(path.join(dir, '.terraform'))) {
    const init = terraform(['init', '-input=false', '-no-color']);
    if (init.status !== 0) throw new RunnerError(`\`terraform init\` failed in ${dir}:\n${(init.stderr || init.stdout || String(init.error)).trim()}`);
  }
  const show = terraform(['show', '-json', '-no-color']);
  if (show.status !== 0) throw new RunnerError(`\`terraform show -json\` failed in ${dir}:\n${(show.stderr || String(show.error)).trim()}`);
  const state = JSON.parse(show.stdout) as { values?: { root_module?: Module } };
  const all: StateResource[] = [];
  const walk = (m: Module | undefined) => {
    if (!m) return;
    all.push(...(m.resources ?? []).filter((r) => r.mode === 'managed'));
    (m.child_modules ?? []).forEach(walk);
  };
  walk(state.values?.root_module);
  return all;
}

interface Module {
  readonly resources?: Array<StateResource & { mode: string }>;
  readonly child_modules?: Module[];
}

export function parseSpec(text: unknown): SpecBase | undefined {
  if (typeof text !== 'string' || !text.startsWith('{')) return undefined;
  try {
    const spec = JSON.parse(text);
    return spec?.v === SPEC_VERSION && typeof spec.operation === 'string' && typeof spec.path === 'string' ? spec : undefined;
  } catch {
    return undefined;
  }
}


/**
 * The ledger directory the runner of a carrier resource writes to, as the runner decides it:
 * CDKTF_KEYFACTOR_LEDGER_DIR, else the one chosen at synth (its provisioner environment),
 * relative to the stack directory.
 */
export function ledgerDirectoryOf(dir: string, configuration: Configuration, env: NodeJS.ProcessEnv, type: string, name: string): string {
  const chosen = env[LEDGER_ENV];
  if (chosen) {
    if (!path.isAbsolute(chosen)) throw new RunnerError(`${LEDGER_ENV} must be an absolute path, as the runner requires, got ${JSON.stringify(chosen)}.`);
    return chosen;
  }
  type Provisioner = Record<string, { environment?: Record<string, unknown> }>;
  const provisioners = (configuration.resource?.[type]?.[name]?.provisioner ?? []) as Provisioner[];
  const atSynth = provisioners.map((p) => p['local-exec']?.environment?.[DEFAULT_LEDGER_ENV]).find((v) => typeof v === 'string') as string | undefined;
  return path.resolve(dir, atSynth ?? DEFAULT_LEDGER_DIRECTORY);
}
