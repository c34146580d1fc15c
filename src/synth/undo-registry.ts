import { DataResource, ITerraformDependable, Lazy, TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier, CarrierType } from './carrier';
import { checkTerraformVersionOncePerStack, ensureNullProvider, provisionerEnvironment, runnerCommand } from './provisioner';
import { CARRIER_ENV, UNDO_LEVELS, undoRegistryId } from '../contract/environment';

/**
 * Terraform runs a destroy-time provisioner only while its resource block is in the
 * configuration, so deleting a construct would drop its carrier without running its undo. The
 * undo registry is a few blocks per stack that outlive any construct: one instance per carrier
 * instance with an undo, keyed by the carrier's construct path and instance key, holding a
 * reference to that instance's spec. A deleted construct is a deleted registry instance, whose
 * destroy provisioner runs the undo (`runner.cjs orphan`): only when the carrier's own block is
 * gone from the configuration (otherwise the carrier's own destroy provisioner runs it) and no
 * construct in the configuration now owns the same target (a renamed or moved construct).
 *
 * Ordering, as on destroy: referencing the carriers orders every registry block before them, so
 * an undo runs before Terraform destroys what the deleted construct depended on. Constructs
 * that depend (through `dependsOn` on other Keyfactor constructs) on constructs with an undo sit
 * one block further along (`KeyfactorUndo1`, `KeyfactorUndo2`), and each block depends on the
 * previous one, so a dependent's undo (a Remove, with its wait) finishes before that of what it
 * depends on (the DELETE of the PAM secret holding the store password) starts.
 */
export interface UndoRegistry {
  /** The registry blocks, from the undos that run last (level 0). */
  readonly blocks: TerraformResource[];
  /** Every Keyfactor construct of the stack, with or without an undo, by construct. */
  readonly members: Map<Construct, Member>;
}

interface Member {
  readonly owner: Construct;
  /** The carriers of this construct whose instances have an undo worth running after a deletion. */
  readonly undoCarriers: Array<{ readonly carrier: TerraformResource; readonly keys: string[] }>;
  readonly dependsOn: ITerraformDependable[];
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
  const registry: UndoRegistry = { blocks: [], members: new Map() };
  const value = { spec: '${each.value.spec}', carrier: '${each.value.carrier}' };
  const provisioners = [{
    type: 'local-exec' as const,
    when: 'destroy' as const,
    command: runnerCommand(stack, 'orphan'),
    environment: provisionerEnvironment(carrier, ledgerDirectory, { [CARRIER_ENV]: 'carrier' }),
  }];
  let levels: Map<Member, number> | undefined;
  for (let level = 0; level < UNDO_LEVELS; level++) {
    const id = undoRegistryId(level);
    // A dependent's undo first: this block is destroyed before the previous one.
    const dependsOn = level > 0 ? [registry.blocks[level - 1]] : undefined;
    let block: TerraformResource;
    if (carrier.type === CarrierType.TERRAFORM_DATA) {
      const data = new DataResource(stack, id, { input: value, provisioners, dependsOn });
      checkTerraformVersionOncePerStack(data);
      block = data;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const nullProvider = require('@cdktf/provider-null') as typeof import('@cdktf/provider-null');
      ensureNullProvider(stack, nullProvider);
      block = new nullProvider.resource.Resource(stack, id, { triggers: value, provisioners, dependsOn });
    }
    // Resolved when the stack synthesizes, after every construct registered; an empty map keeps
    // the block (and so the undos of constructs deleted since the last apply).
    block.addOverride('for_each', Lazy.anyValue({
      produce: () => {
        levels ??= memberLevels(registry);
        return instancesAt(registry, levels, level);
      },
    }));
    registry.blocks.push(block);
  }
  REGISTRIES.set(stack, registry);
  return registry;
}

/**
 * Registers a carrier of the Keyfactor construct `owner`: its instances `keys` when they have an
 * undo to run after a deletion (`undo`), and in any case what it depends on, which places the
 * owner's undos after those of its dependents.
 */
export function registerCarrier(
  registry: UndoRegistry, owner: Construct, carrier: TerraformResource, keys: string[] | undefined, undo: boolean,
  dependsOn: ITerraformDependable[] = [],
): void {
  let member = registry.members.get(owner);
  if (!member) {
    member = { owner, undoCarriers: [], dependsOn: [] };
    registry.members.set(owner, member);
  }
  member.dependsOn.push(...dependsOn);
  if (undo && keys?.length) member.undoCarriers.push({ carrier, keys });
}

/**
 * Each construct's level: 0 when it depends on no Keyfactor construct with an undo, else one
 * more than the highest level among the undo-holding constructs it depends on (directly or through
 * Keyfactor constructs without an undo). Levels past the last block share the last block.
 */
function memberLevels(registry: UndoRegistry): Map<Member, number> {
  const levels = new Map<Member, number>();
  const visiting = new Set<Member>();
  const ownerOf = (dep: ITerraformDependable): Member | undefined => {
    for (let s: Construct | undefined = dep instanceof Construct ? dep : undefined; s; s = s.node.scope) {
      const m = registry.members.get(s);
      if (m) return m;
    }
    return undefined;
  };
  const level = (m: Member): number => {
    const known = levels.get(m);
    if (known !== undefined) return known;
    if (visiting.has(m)) return 0; // a cycle: Terraform refuses it anyway
    visiting.add(m);
    let result = 0;
    for (const dep of m.dependsOn) {
      const d = ownerOf(dep);
      if (d && d !== m) result = Math.max(result, level(d) + (d.undoCarriers.length ? 1 : 0));
    }
    visiting.delete(m);
    levels.set(m, result);
    return result;
  };
  registry.members.forEach((m) => level(m));
  return levels;
}

function instancesAt(registry: UndoRegistry, levels: Map<Member, number>, level: number): Record<string, { carrier: string; spec: string }> {
  const instances: Record<string, { carrier: string; spec: string }> = {};
  for (const m of registry.members.values()) {
    if (Math.min(levels.get(m) ?? 0, UNDO_LEVELS - 1) !== level) continue;
    for (const { carrier, keys } of m.undoCarriers) {
      const address = `${carrier.terraformResourceType}.${carrier.friendlyUniqueId}`;
      const attribute = carrier.terraformResourceType === CarrierType.TERRAFORM_DATA ? 'input' : 'triggers';
      for (const key of keys) {
        const id = `${carrier.node.path}[${key}]`;
        if (instances[id]) throw new Error(`cdktf-keyfactor: two carrier instances share the undo registry key ${id}; rename one of the constructs.`);
        instances[id] = { carrier: address, spec: `\${${address}[${hclString(key)}].${attribute}.spec}` };
      }
    }
  }
  return instances;
}

/** `key` as a quoted HCL string inside a template: JSON escapes, and `${`/`%{` doubled so they stay literal. */
function hclString(key: string): string {
  return JSON.stringify(key).replace(/([$%])\{/g, (_m, sign: string) => `${sign}${sign}{`);
}
