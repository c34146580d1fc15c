/**
 * `cdktf-keyfactor destroy <path>` and `cdktf-keyfactor forget <path>`: one construct's teardown
 * without guessing Terraform addresses. cdktf-cli 0.21 has no per-resource destroy (it ignores an
 * unknown `--target` and destroys the whole stack), so these find the construct's carriers and its
 * undo registry instances in the stack's state and hand exactly those to terraform.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { carrierLedger } from './ledgers';
import { CARRIER_TYPES, parseSpec, readConfiguration, StateResource, stateResources } from './stacks';
import { isUndoRegistryId } from '../contract/environment';
import { SpecBase, specHash, specLabel } from '../contract/spec';
import { checkEvaluated } from '../runner/checks';
import { RunnerError } from '../runtime/errors';
import { beginRecord, openLedger, warnUnreadable } from '../runtime/ledger';

export interface TeardownOptions {
  /** The construct path, e.g. `certificates/web` (its first segment names the stack). */
  readonly path: string;
  /** Only this carrier instance (a deployment's store key). Default: every instance of the construct. */
  readonly key?: string;
  /** The synthesized app. Default `cdktf.out`. */
  readonly outdir?: string;
}

/** What of a construct the stack's state holds. */
export interface ConstructState {
  readonly stack: string;
  readonly dir: string;
  /** Carrier instances (or whole single carriers) with their spec. */
  readonly carriers: Array<{ readonly address: string; readonly type: string; readonly name: string; readonly spec: SpecBase }>;
  /**
   * The undo registry's instances of the construct's carriers, with the spec each holds. After a
   * construct is deleted from the code they are all that is left of it until its undo ran.
   */
  readonly registry: Array<{ readonly address: string; readonly spec: SpecBase }>;
  /** Every carrier instance of the construct in the state, whatever `key` selected. */
  readonly own: string[];
}

export function constructState(options: TeardownOptions, env: NodeJS.ProcessEnv): ConstructState {
  const constructPath = options.path.replace(/\/+$/, '');
  const stack = constructPath.split('/')[0];
  if (!stack || !constructPath.includes('/')) {
    throw new RunnerError(`"${options.path}" is not a construct path: give <stack>/<construct id>..., as \`cdktf-keyfactor outputs\` prints it (e.g. certificates/web).`);
  }
  const dir = path.join(path.resolve(options.outdir ?? 'cdktf.out'), 'stacks', stack);
  const within = (p: string) => p === constructPath || p.startsWith(`${constructPath}/`);
  const state = stateResources(dir, env);
  const carriers: Array<ConstructState['carriers'][number]> = [];
  const registry: Array<ConstructState['registry'][number]> = [];
  const paths = new Set<string>();
  const own: string[] = [];
  for (const r of state) {
    if (!(r.type in CARRIER_TYPES)) continue;
    const values = r.values[CARRIER_TYPES[r.type as keyof typeof CARRIER_TYPES]] as Record<string, unknown> | undefined;
    const spec = parseSpec(values?.spec);
    if (!spec) continue;
    paths.add(spec.path);
    if (within(spec.path) && !isUndoRegistryId(r.name)) own.push(r.address);
    // A registry instance holds a copy of its carrier instance's spec: same path, same key.
    const ours = within(spec.path) && (options.key === undefined || (isUndoRegistryId(r.name) ? spec.key : instanceKey(r)) === options.key);
    if (!ours) continue;
    if (isUndoRegistryId(r.name)) registry.push({ address: r.address, spec });
    else carriers.push({ address: r.address, type: r.type, name: r.name, spec });
  }
  if (carriers.length === 0 && registry.length === 0) {
    const known = [...paths].sort();
    throw new RunnerError(`nothing of ${constructPath}${options.key !== undefined ? ` [${options.key}]` : ''} is in the state of stack "${stack}". ` +
      (known.length ? `Its Keyfactor constructs there: ${known.join(', ')}.` : 'It holds no Keyfactor construct.'));
  }
  return { stack, dir, carriers, registry, own };
}

function instanceKey(r: StateResource): string | undefined {
  return r.index === undefined ? undefined : String(r.index);
}

/**
 * `destroy`: `terraform destroy -target=...` for the construct's carriers, so its undo runs
 * (Remove, DELETE) exactly as on `cdktf destroy`. Terraform also destroys what depends on them,
 * which its plan lists: interactively terraform asks; with `--auto-approve` a plan that reaches
 * beyond the construct is refused unless `withDependents`. Returns terraform's exit code.
 */
export async function runDestroy(
  options: TeardownOptions & { readonly autoApprove?: boolean; readonly planOnly?: boolean; readonly withDependents?: boolean },
  env: NodeJS.ProcessEnv, write: (text: string) => void, stdio: 'inherit' | 'pipe' = 'inherit',
): Promise<number> {
  const found = constructState(options, env);
  const config = readConfiguration(found.dir, found.stack);
  if (found.carriers.length === 0 || found.carriers.some((c) => config.resource?.[c.type]?.[c.name] === undefined)) {
    // Without its block, Terraform would drop the carrier without running its destroy provisioner.
    throw new RunnerError(`${options.path} is no longer in the synthesized configuration (deleted from the code?): \`cdktf deploy\` runs its undo. ` +
      'Or put it back and `cdktf synth` before destroying it.');
  }
  // Not the registry instances: every later registry block depends on the first, so targeting one
  // would take other constructs' instances along. They leave the state after the destroy (below).
  const targets = [...new Set(found.carriers.map((c) => (options.key === undefined ? `${c.type}.${c.name}` : c.address)))];
  const common = ['-input=false', ...(stdio === 'pipe' ? ['-no-color'] : []), ...targets.map((t) => `-target=${t}`)];
  write(`cdktf-keyfactor destroy: ${found.carriers.map((c) => specLabel(c.spec)).join(', ')}`);
  const tf = (args: string[]) => {
    write(`  in ${found.dir}: terraform ${args.join(' ')}`);
    return terraform(args, found.dir, env, stdio, write);
  };
  let status: number;
  if (options.planOnly) return tf(['plan', '-destroy', ...common]);
  if (!options.autoApprove) {
    status = await tf(['destroy', ...common]);
  } else {
    // Unattended: apply exactly the plan checked here, and only if it stays within the construct.
    const planFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kf-destroy-')), 'destroy.tfplan');
    try {
      status = await tf(['plan', '-destroy', `-out=${planFile}`, ...common]);
      if (status !== 0) return status;
      // With --key, Terraform also takes the construct's wait carrier, which depends on every instance: that is the construct's own.
      const beyond = plannedDeletions(found.dir, planFile, env).filter((a) => !found.own.includes(a));
      if (beyond.length && !options.withDependents) {
        throw new RunnerError(`destroying ${options.path} would also destroy what depends on it: ${beyond.join(', ')}. ` +
          'Nothing was destroyed. Review it without --auto-approve, or pass --with-dependents.');
      }
      status = await tf(['apply', '-input=false', ...(stdio === 'pipe' ? ['-no-color'] : []), planFile]);
    } finally {
      fs.rmSync(path.dirname(planFile), { recursive: true, force: true });
    }
  }
  if (status !== 0) return status;
  const registry = found.registry.map((r) => r.address);
  if (registry.length) {
    // Their destroy would do nothing (the carrier is configured, so it undid itself); the next deploy re-adds them.
    const removed = await terraform(['state', 'rm', ...registry], found.dir, env, 'pipe', () => undefined);
    if (removed !== 0) write(`WARNING: could not remove ${registry.join(', ')} from the state (exit ${removed}); the next deploy updates them.`);
  }
  write(`${options.path} is still in your code: the next \`cdktf deploy\` creates it again. Delete it from the code to keep it gone.`);
  return 0;
}

/** The addresses a saved plan deletes (`terraform show -json`). */
function plannedDeletions(dir: string, planFile: string, env: NodeJS.ProcessEnv): string[] {
  const show = spawnSync('terraform', ['show', '-json', planFile], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (show.status !== 0) throw new RunnerError(`\`terraform show -json\` of the destroy plan failed in ${dir}:\n${(show.stderr || String(show.error)).trim()}`);
  const plan = JSON.parse(show.stdout) as { resource_changes?: Array<{ address: string; change: { actions: string[] } }> };
  return (plan.resource_changes ?? []).filter((c) => c.change.actions.includes('delete')).map((c) => c.address);
}

/**
 * `forget`: `terraform state rm` of the construct's carrier instances (and their registry
 * instances), for a target Command can no longer undo (a store gone for good). Nothing is sent to
 * Command; what stays there is printed, to clean up by hand. Returns the exit code.
 */
export async function runForget(options: TeardownOptions, env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  const found = constructState(options, env);
  const addresses = [...found.carriers.map((c) => c.address), ...found.registry.map((r) => r.address)];
  // First: a forget the ledger does not know of would let the next create adopt the old job.
  await noteForgotten(found, env);
  const status = await terraform(['state', 'rm', ...addresses], found.dir, env, 'pipe', () => undefined);
  if (status !== 0) throw new RunnerError(`terraform state rm failed in ${found.dir} (exit ${status}); nothing was forgotten.`);
  write(`cdktf-keyfactor forget: ${addresses.length} resource instance(s) of ${options.path} removed from the state of stack "${found.stack}"; nothing was sent to Command.`);
  // A construct deleted from the code has only its registry instances left: their specs say what stays.
  const specs = new Map([...found.registry, ...found.carriers].map((c) => [`${c.spec.path}\n${c.spec.key ?? ''}\n${c.spec.operation}`, c.spec]));
  const left = [...specs.values()].map(leftBehind).filter((l): l is string => l !== undefined);
  if (left.length) {
    write('Left in Keyfactor Command (remove by hand once it can be reached):');
    for (const l of left) write(`  - ${l}`);
  } else {
    write('Nothing of it was left to undo in Command.');
  }
  write(`If ${options.path} still lists it in your code, the next \`cdktf deploy\` creates it again.`);
  return 0;
}

/**
 * A skipped destroy record in the ledger for each forgotten carrier instance that has a create
 * record there, with that record's origin: without it, the next create of the instance would find
 * its newest record a succeeded create and adopt that job (OperationModule.keptUntilUndone) instead
 * of creating it again. The whole ledger is read: the CLI may not know the origin the apply had.
 */
async function noteForgotten(found: ConstructState, env: NodeJS.ProcessEnv): Promise<void> {
  const config = readConfiguration(found.dir, found.stack);
  for (const c of found.carriers) {
    const { spec, problems } = checkEvaluated(c.spec);
    if (problems.length) continue; // refused at create: it never ran
    const hash = specHash(spec);
    const { store } = openLedger(carrierLedger(found.dir, config, env, c.type, c.name), env);
    try {
      const mine = (await store.read({ onUnreadable: warnUnreadable }))
        .filter((r) => r.stack === spec.stack && r.constructPath === spec.path && (r.instanceKey ?? undefined) === spec.key && r.specHash === hash);
      const origins = new Map(mine.filter((r) => r.origin).map((r) => [JSON.stringify(r.origin), r.origin!]));
      for (const origin of origins.values()) {
        const identity = { origin, stack: spec.stack, constructPath: spec.path, instanceKey: spec.key, specHash: hash };
        const handle = await beginRecord(store, { operation: spec.operation, phase: 'destroy', ...identity });
        await handle.finish('skipped', { message: 'forgotten (cdktf-keyfactor forget): removed from the state; nothing was sent to Command' });
      }
    } catch (e) {
      throw new RunnerError(`could not note in the ledger (${store.location}) that ${specLabel(spec)} is forgotten, so nothing was forgotten: ${(e as Error).message}`);
    } finally {
      await store.close();
    }
  }
}

function leftBehind(spec: SpecBase): string | undefined {
  type Fields = { certificateId?: number; removeOnDestroy?: boolean; store?: { certificateStoreId?: string; alias?: string } }
    & { part?: string; providerId?: number; secretName?: string };
  const s = spec as SpecBase & Fields;
  if (s.operation === 'CertificateDeployment' && s.removeOnDestroy !== false) {
    return `certificate ${s.certificateId}${s.store?.alias ? ` (alias "${s.store.alias}")` : ''} in store ${s.store?.certificateStoreId} (${specLabel(spec)})`;
  }
  if (s.operation === 'PamLocalEntry' && s.part === 'entry') {
    return `secret "${s.secretName}" of PAM provider ${s.providerId}, unless deleteOnDestroy was false (${specLabel(spec)})`;
  }
  return undefined;
}

async function terraform(args: string[], dir: string, env: NodeJS.ProcessEnv, stdio: 'inherit' | 'pipe', write: (text: string) => void): Promise<number> {
  // Asynchronous, so a simulator in the same process keeps answering the runner.
  const child = spawn('terraform', args, { cwd: dir, env, stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  if (stdio === 'pipe') {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      lines.forEach(write);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('close', () => buffered && write(buffered));
  }
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
