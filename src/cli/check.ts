import * as path from 'path';
import { CARRIER_TYPES, Configuration, parseSpec, readConfiguration, StateResource, stateResources, synthesizedStacks } from './stacks';

export type { Configuration, StateResource } from './stacks';
import { isUndoRegistryId } from '../contract/environment';
import { SpecBase, specLabel } from '../contract/spec';
import { OperationSpec, sharesUndoTarget } from '../runner/operations';
import { configuredInstances } from '../runtime/configuration';


export interface CheckOptions {
  /** The synthesized app. Default `cdktf.out`. */
  readonly outdir?: string;
  /** Only these stacks. Default: every stack in the app. */
  readonly stack?: string[];
  /** Print `{"lost": [...], "pending": [...]}` instead of sentences. */
  readonly json?: boolean;
}

/** An undo that the next apply of a stack would (lost) or will (pending) run. */
export interface Finding {
  readonly stack: string;
  readonly label: string;
  readonly why?: 'registry-gone' | 'applied-before-registry';
  /** A pending undo the apply will skip: the construct (in the state, as Terraform evaluated it) that now owns the same target. */
  readonly takenOverBy?: string;
}

/**
 * `cdktf-keyfactor check`, run after `cdktf synth` and before the apply: compares each stack's
 * Terraform state with the configuration about to be applied and fails when the apply would
 * drop a construct deleted from the code without running its undo (Remove, DELETE). Those are
 * the cases the undo registry cannot cover: the stack lost its registry block with its last
 * Keyfactor construct, or the construct was last applied by a version without the registry.
 * Returns the exit code: 0 nothing would be lost, 1 something would (or the check failed).
 */
export function runCheck(options: CheckOptions, env: NodeJS.ProcessEnv, write: (text: string) => void): number {
  const outdir = path.resolve(options.outdir ?? 'cdktf.out');
  const stacks = options.stack?.length ? options.stack : synthesizedStacks(outdir);
  const lost: Finding[] = [];
  const pending: Finding[] = [];
  for (const stack of stacks) {
    const dir = path.join(outdir, 'stacks', stack);
    const config = readConfiguration(dir, stack);
    const found = compare(stack, config, stateResources(dir, env));
    lost.push(...found.lost);
    pending.push(...found.pending);
  }
  if (options.json) {
    write(JSON.stringify({ stacks, lost, pending }, null, 2));
    return lost.length ? 1 : 0;
  }
  for (const f of pending) {
    write(f.takenOverBy
      ? `${f.stack}: ${f.label} was deleted from the code, but ${f.takenOverBy} now owns the same target (renamed or moved): the next apply leaves it in place.`
      : `${f.stack}: ${f.label} was deleted from the code: the next apply runs its undo.`);
  }
  if (lost.length === 0) {
    write(`cdktf-keyfactor check: ${stacks.length} stack(s) checked: no construct deleted from the code would lose its undo.`);
    return 0;
  }
  write(`cdktf-keyfactor check: the next apply would drop ${lost.length} construct instance(s) without running their undo:`);
  for (const f of lost) write(`  ${f.stack}: ${f.label}`);
  for (const stack of new Set(lost.filter((f) => f.why === 'registry-gone').map((f) => f.stack))) {
    write(`Stack "${stack}" no longer has any Keyfactor construct, so its undo registry (KeyfactorUndo*) would go too. Fix: add ` +
      `\`new KeyfactorDefaults(stack, 'KeyfactorDefaults')\` to stack "${stack}" and apply (that runs the undos), then remove it in a ` +
      `later change; or, to tear the whole stack down, put the constructs back and run \`cdktf destroy ${stack}\`.`);
  }
  if (lost.some((f) => f.why === 'applied-before-registry')) {
    write('Those constructs were last applied by a cdktf-keyfactor version without the undo registry. Fix: put them back and apply ' +
      'once with this version (it records their undo and sends nothing), then delete them and apply again.');
  }
  return 1;
}


export function compare(stack: string, config: Configuration, state: StateResource[]): { lost: Finding[]; pending: Finding[] } {
  const configured = (type: string, name: string) => config.resource?.[type]?.[name] !== undefined;
  const registryBlocks = Object.keys(CARRIER_TYPES)
    .flatMap((t) => Object.entries(config.resource?.[t] ?? {}).filter(([name]) => isUndoRegistryId(name)));
  const registryKeys = new Set(registryBlocks.flatMap(([, block]) => Object.keys(configuredInstances(config, block) ?? {})));
  const registry: Array<{ key: string; carrier: string; spec?: SpecBase }> = [];
  const carriers: Array<{ address: string; type: string; name: string; spec: SpecBase }> = [];
  for (const r of state) {
    if (!(r.type in CARRIER_TYPES)) continue;
    const values = r.values[CARRIER_TYPES[r.type as keyof typeof CARRIER_TYPES]] as Record<string, unknown> | undefined;
    const spec = parseSpec(values?.spec);
    if (isUndoRegistryId(r.name) && typeof values?.carrier === 'string') registry.push({ key: String(r.index), carrier: values.carrier, spec });
    else if (spec) carriers.push({ address: `${r.type}.${r.name}`, type: r.type, name: r.name, spec });
  }
  const lost: Finding[] = [];
  const pending: Finding[] = [];
  for (const u of registry) {
    const [type, name] = splitAddress(u.carrier);
    if (configured(type, name)) continue; // the carrier's own destroy provisioner undoes
    const label = u.spec ? specLabel(u.spec) : u.key;
    if (registryBlocks.length === 0) {
      lost.push({ stack, label, why: 'registry-gone' });
    } else if (!registryKeys.has(u.key)) {
      // Decided as the apply decides, with the values Terraform gave the configured carriers (the state's specs are evaluated).
      const owner = u.spec && carriers.find((c) => configured(c.type, c.name) && sharesUndoTarget(u.spec as OperationSpec, c.spec as OperationSpec));
      pending.push({ stack, label, ...(owner ? { takenOverBy: owner.spec.path } : {}) });
    }
  }
  for (const c of carriers) {
    if (configured(c.type, c.name) || !hasUndo(c.spec)) continue;
    const recorded = registry.some((u) => u.carrier === c.address && u.spec?.path === c.spec.path && u.spec?.key === c.spec.key);
    if (!recorded) lost.push({ stack, label: specLabel(c.spec), why: 'applied-before-registry' });
  }
  return { lost, pending };
}

/**
 * Carriers whose deletion has an undo to lose: deployments that remove on destroy, PAM entries
 * (deleteOnDestroy is not in the spec, so an entry kept on destroy counts too: a false alarm at worst).
 */
function hasUndo(spec: SpecBase): boolean {
  const s = spec as SpecBase & { removeOnDestroy?: boolean; part?: string };
  if (s.operation === 'CertificateDeployment') return s.removeOnDestroy !== false;
  return s.operation === 'PamLocalEntry' && s.part === 'entry';
}


function splitAddress(address: string): [string, string] {
  const dot = address.indexOf('.');
  return [address.slice(0, dot), address.slice(dot + 1)];
}
