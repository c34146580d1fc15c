/**
 * `runner.cjs orphan`: the destroy provisioner of a stack's undo registry (`KeyfactorUndo`).
 * A registry instance is destroyed when its construct was deleted from the code, but also when
 * the whole stack is destroyed or a carrier instance goes away on its own (a store dropped from
 * a deployment); only in the first case is the undo the registry's to run. Which case it is
 * shows in the configuration Terraform is applying: `cdk.tf.json` in the stack directory, where
 * Terraform runs provisioners.
 */
import { OperationSpec, sharesUndoTarget } from './operations';
import { CONFIGURATION_FILE, isUndoRegistryId } from '../contract/environment';
import { SPEC_VERSION } from '../contract/spec';
import { Configuration, configuredInstances, configuredResource, LOCAL_REFERENCE, readConfiguration } from '../runtime/configuration';
import { RunnerError } from '../runtime/errors';
import { knownValues } from '../runtime/hcl';

export { CONFIGURATION_FILE };

export type DeletedConstructDecision =
  /** The construct is gone and nothing else owns its target: run the undo. */
  | { readonly undo: true }
  /** The carrier is still configured: its own destroy provisioner runs the undo (now or later). */
  | { readonly undo: false; readonly reason: 'configured' }
  /**
   * The construct is gone, but another construct now owns the same target (renamed or moved), or
   * may own it (`uncertain`: its target is a Terraform reference, whose value only Terraform knows).
   */
  | { readonly undo: false; readonly reason: 'taken-over'; readonly by: OperationSpec }
  /**
   * The construct is gone, and these constructs may own its target: theirs is a Terraform
   * reference, whose value only Terraform (and their ledger records) know.
   */
  | { readonly undo: false; readonly reason: 'uncertain'; readonly candidates: OperationSpec[] };

export function deletedConstructDecision(spec: OperationSpec, carrierAddress: string | undefined, directory: string): DeletedConstructDecision {
  const dot = carrierAddress?.indexOf('.') ?? -1;
  if (!carrierAddress || dot <= 0) {
    throw new RunnerError('the undo registry did not pass its carrier address (CDKTF_KEYFACTOR_CARRIER); is the runner older than the library that synthesized it?');
  }
  // Unreadable: undoing blindly could undo twice (the carrier may still run its own), skipping could lose it.
  const config = readConfiguration(directory, `tell whether ${spec.path} was deleted from the code`);
  if (configuredResource(config, carrierAddress) !== undefined) return { undo: false, reason: 'configured' };
  const live = configuredSpecs(config);
  const by = live.find((l) => !l.partial && sharesUndoTarget(spec, l.spec));
  if (by) return { undo: false, reason: 'taken-over', by: by.spec };
  const candidates = live.filter((l) => l.partial && sharesUndoTarget(spec, l.spec)).map((l) => l.spec);
  return candidates.length ? { undo: false, reason: 'uncertain', candidates } : { undo: true };
}

/**
 * Every spec a carrier in the configuration holds (for_each values or the single value). A spec
 * Terraform evaluates is known by its literal values only (`known`, references as null): `partial`.
 */
function configuredSpecs(config: Configuration): Array<{ spec: OperationSpec; partial: boolean }> {
  const specs: Array<{ spec: OperationSpec; partial: boolean }> = [];
  const add = (text: unknown, known: unknown, at: string) => {
    let partial = false;
    // A single carrier's spec sits in a local in HCL output.
    const local = typeof text === 'string' ? LOCAL_REFERENCE.exec(text) : null;
    if (local) text = config.locals?.[local[1]];
    if (typeof text !== 'string' || !text.startsWith('{')) {
      // An expression only Terraform evaluates: its literal values, from cdktf (`known`) or read from the expression (HCL).
      if (typeof known !== 'string' && typeof text === 'string') known = knownValues(text);
      if (typeof known !== 'string') {
        if (typeof text !== 'string' || !text.includes('jsonencode(')) return; // not one of ours
        // Unread, it could be the construct that took the target over: undoing would be a guess.
        throw new RunnerError(`cannot tell which constructs are configured: the spec of ${at} is an expression the runner does not read ` +
          '(write it as "${jsonencode({...})}", as cdktf synth --hcl does).');
      }
      text = known.replace(/([$%])\1\{/g, '$1{');
      partial = true;
    }
    try {
      const spec = JSON.parse(text as string);
      if (spec?.v === SPEC_VERSION && typeof spec.operation === 'string') specs.push({ spec, partial });
    } catch {
      // Not one of ours.
    }
  };
  for (const [type, attribute] of [['terraform_data', 'input'], ['null_resource', 'triggers']] as const) {
    for (const [name, block] of Object.entries(config.resource?.[type] ?? {})) {
      if (isUndoRegistryId(name)) continue; // copies of the carriers' specs
      const forEach = configuredInstances(config, block);
      // Unreadable instances could hide the construct that took the target over: undoing would be a guess.
      if (block.for_each !== undefined && !forEach) {
        throw new RunnerError(`cannot tell which constructs are configured: the for_each of ${type}.${name} in the configuration names no instances map.`);
      }
      if (forEach) {
        Object.entries(forEach as Record<string, { spec?: unknown; known?: unknown }>).forEach(([key, v]) => add(v?.spec, v?.known, `${type}.${name}[${JSON.stringify(key)}]`));
      } else {
        const value = (block[attribute] as { spec?: unknown } | undefined)?.spec;
        // A resource of another library that happens to share the type holds no spec of ours.
        if (value !== undefined) add(value, undefined, `${type}.${name}`);
      }
    }
  }
  return specs;
}
