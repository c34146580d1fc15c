import { spawn } from 'child_process';
import * as path from 'path';
import { REPAIR_ENV } from '../contract/environment';
import { RunnerError } from '../runtime/errors';

/** A drifted carrier instance `drift --fix` re-runs. */
export interface RepairTarget {
  /** Terraform address of the instance. */
  readonly address: string;
  /** The name the runner knows the repair by (REPAIR_ENV). */
  readonly repair: string;
}

/** A change Terraform would make besides the repair. */
export interface PendingChange {
  readonly address: string;
  /** Terraform's action: `create`, `update`, `delete`, `replace`, ... */
  readonly action: string;
}

export interface RepairOptions {
  /** Apply every change the stack's plan holds, not only the repair. */
  readonly includePending: boolean;
}

/** What one stack's repair did. */
export interface StackRepair {
  readonly stack: string;
  /** The changes applied besides the repair (with `includePending` only). */
  readonly pending: PendingChange[];
  /** Terraform's last line, e.g. `Apply complete! Resources: 1 added, 0 changed, 1 destroyed.` */
  readonly summary: string;
}

/**
 * Re-runs the drifted instances of one stack, and nothing else unless asked: a merged change
 * waiting for its pipeline (a deleted construct's Remove, a new deployment) must not ride along
 * with a repair nobody reviewed. Terraform plans the replacement first; a plan holding any other
 * change is refused, naming it. The apply is then targeted at the drifted instances, so a change
 * that appears between plan and apply is not applied either.
 */
export async function repairStack(
  stackDir: string, stack: string, targets: RepairTarget[], options: RepairOptions, env: NodeJS.ProcessEnv,
): Promise<StackRepair> {
  const replace = targets.map((t) => `-replace=${t.address}`);
  const plan = await terraform(stackDir, ['plan', '-input=false', '-no-color', '-json', '-lock-timeout=60s', ...replace], env);
  if (plan.status !== 0) throw failed(stack, 'plan', plan);
  const wanted = new Set(targets.map((t) => t.address));
  const pending = plannedChanges(plan.stdout).filter((c) => !(wanted.has(c.address) && c.action === 'replace'));
  if (pending.length && !options.includePending) {
    throw new RunnerError(`drift --fix: stack ${stack}: not repaired, because its plan holds ${pending.length} change(s) besides the ` +
      `drifted instance(s), which a repair must not apply unseen:\n${pending.map((c) => `  ${c.action} ${c.address}`).join('\n')}\n` +
      'Apply them first (cdktf deploy, after review), or pass --include-pending to apply them with the repair.');
  }
  const scope = options.includePending ? [] : targets.map((t) => `-target=${t.address}`);
  const apply = await terraform(stackDir, ['apply', '-auto-approve', '-input=false', '-no-color', '-lock-timeout=60s', ...replace, ...scope],
    { ...env, [REPAIR_ENV]: JSON.stringify(targets.map((t) => t.repair)) });
  if (apply.status !== 0) throw failed(stack, 'apply', apply);
  const summary = apply.stdout.trim().split('\n').reverse().find((l) => /^Apply complete!/.test(l.trim()))?.trim() ?? '';
  return { stack, pending: options.includePending ? pending : [], summary };
}

/** The changes a `terraform plan -json` stream announces (no-ops and reads are not changes). */
export function plannedChanges(stream: string): PendingChange[] {
  const changes: PendingChange[] = [];
  for (const line of stream.split('\n')) {
    if (!line.startsWith('{')) continue;
    let message: { type?: string; change?: { resource?: { addr?: string }; action?: string } };
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    const { type, change } = message;
    if (type !== 'planned_change' || !change?.resource?.addr || !change.action) continue;
    if (change.action === 'noop' || change.action === 'read') continue;
    changes.push({ address: change.resource.addr, action: change.action });
  }
  return changes;
}

interface Exit {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function failed(stack: string, step: string, exit: Exit): RunnerError {
  // Terraform's errors are on stderr (with -json, in "diagnostic" lines); its plan would bury them.
  const diagnostics = exit.stdout.split('\n').filter((l) => l.includes('"type":"diagnostic"'))
    .map((l) => { try { return JSON.parse(l)['@message'] as string; } catch { return ''; } }).filter(Boolean);
  const detail = exit.stderr.trim() || diagnostics.join('\n') || exit.stdout.trim().split('\n').slice(-20).join('\n');
  return new RunnerError(`terraform ${step} for the drifted instances of stack ${stack} failed (it runs with this environment, ` +
    `so set what the apply needs, e.g. the secrets the runner reads):\n${detail}`);
}

/** Asynchronous, so a simulator in this process keeps answering. */
async function terraform(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  const child = spawn('terraform', args, { cwd: path.resolve(cwd), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  return { status, stdout, stderr };
}
