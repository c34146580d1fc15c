import { DataResource, Lazy, TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier, CarrierType } from './carrier';
import { checkTerraformVersionOncePerStack, ensureNullProvider, provisionerEnvironment, runnerCommand } from './provisioner';
import { CARRIER_ENV, UNDO_REGISTRY_ID } from '../contract/environment';

/**
 * Terraform runs a destroy-time provisioner only while its resource block is in the
 * configuration, so deleting a construct would drop its carrier without running its undo. The
 * registry is one block per stack that outlives any construct: one instance per carrier instance
 * with an undo, keyed by the carrier's construct path and instance key, holding a reference to
 * that instance's spec. A deleted construct is a deleted registry instance, whose destroy
 * provisioner runs the undo (`runner.cjs orphan`): only when the carrier's own block is gone
 * from the configuration (otherwise the carrier's own destroy provisioner runs it) and no
 * construct in the configuration now owns the same target (a renamed or moved construct).
 *
 * Referencing the carriers also orders the registry after them: on a deletion the undo runs
 * before Terraform destroys whatever the deleted construct depended on.
 */
export interface UndoRegistry {
  readonly resource: TerraformResource;
  /** Registry instances by key: the carrier's address and the expression of its spec. */
  readonly instances: Record<string, { carrier: string; spec: string }>;
}

const REGISTRIES = new WeakMap<TerraformStack, UndoRegistry>();

/**
 * The registry of the stack `scope` is in, created on first use with `carrier`'s resource type
 * (the stack's default carrier, else the first construct's) and the stack's ledger directory.
 */
export function undoRegistry(scope: Construct, carrier: Carrier, ledgerDirectory: string): UndoRegistry {
  const stack = TerraformStack.of(scope);
  const known = REGISTRIES.get(stack);
  if (known) return known;
  const instances: Record<string, { carrier: string; spec: string }> = {};
  const value = { spec: '${each.value.spec}', carrier: '${each.value.carrier}' };
  const provisioners = [{
    type: 'local-exec' as const,
    when: 'destroy' as const,
    command: runnerCommand(stack, 'orphan'),
    environment: provisionerEnvironment(carrier, ledgerDirectory, { [CARRIER_ENV]: 'carrier' }),
  }];
  let resource: TerraformResource;
  if (carrier.type === CarrierType.TERRAFORM_DATA) {
    const data = new DataResource(stack, UNDO_REGISTRY_ID, { input: value, provisioners });
    checkTerraformVersionOncePerStack(data);
    resource = data;
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nullProvider = require('@cdktf/provider-null') as typeof import('@cdktf/provider-null');
    ensureNullProvider(stack, nullProvider);
    resource = new nullProvider.resource.Resource(stack, UNDO_REGISTRY_ID, { triggers: value, provisioners });
  }
  // Resolved when the stack synthesizes, after every construct registered; an empty map keeps
  // the block (and so the undos of constructs deleted since the last apply).
  resource.addOverride('for_each', Lazy.anyValue({ produce: () => ({ ...instances }) }));
  const registry = { resource, instances };
  REGISTRIES.set(stack, registry);
  return registry;
}

/** Adds the instances `keys` of `carrier` (a for_each carrier with an undo) to the registry. */
export function registerUndo(registry: UndoRegistry, carrier: TerraformResource, keys: string[]): void {
  const address = `${carrier.terraformResourceType}.${carrier.friendlyUniqueId}`;
  const attribute = carrier.terraformResourceType === CarrierType.TERRAFORM_DATA ? 'input' : 'triggers';
  for (const key of keys) {
    const id = `${carrier.node.path}[${key}]`;
    if (registry.instances[id]) throw new Error(`cdktf-keyfactor: two carrier instances share the undo registry key ${id}; rename one of the constructs.`);
    registry.instances[id] = { carrier: address, spec: `\${${address}[${hclString(key)}].${attribute}.spec}` };
  }
}

/** `key` as a quoted HCL string inside a template: JSON escapes, and `${`/`%{` doubled so they stay literal. */
function hclString(key: string): string {
  return JSON.stringify(key).replace(/([$%])\{/g, (_m, sign: string) => `${sign}${sign}{`);
}
