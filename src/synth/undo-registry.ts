import { DataResource, dependable, ITerraformDependable, Lazy, TerraformLocal, TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier, CarrierType } from './carrier';
import { checkTerraformVersionOncePerStack, ensureNullProvider, loadNullProvider, provisionerEnvironment, runnerCommand } from './provisioner';
import { CARRIER_ENV, UNDO_LEVELS, undoRegistryId } from '../contract/environment';

/**
 * Terraform runs a destroy-time provisioner only while its resource block is in the
 * configuration, so deleting a construct would drop its carrier without running its undo. The
 * undo registry is a few blocks per stack that outlive any construct: one instance per carrier
 * instance with an undo, keyed by the carrier's construct path and instance key, holding that
 * instance's spec and carrier address. A deleted construct is a deleted registry instance, whose
 * destroy provisioner runs the undo (`runner.cjs orphan`): only when the carrier's own block is
 * gone from the configuration (otherwise the carrier's own destroy provisioner runs it) and no
 * construct in the configuration now owns the same target (a renamed or moved construct).
 *
 * Ordering, as on destroy: each block depends on what its constructs depend on outside this
 * library (the store resource, the PAM provider), so an undo runs before Terraform destroys it.
 * Constructs that depend (through `dependsOn` on other Keyfactor constructs) on constructs with an
 * undo sit one block further along (`KeyfactorUndo1`, `KeyfactorUndo2`), and each block depends on
 * the previous one, so a dependent's undo (a Remove, with its wait) finishes before that of what
 * it depends on (the DELETE of the PAM secret holding the store password) starts.
 *
 * The instances are a `locals` map, not an inline for_each map: Terraform evaluates a resource's
 * for_each once per instance, which makes an inline map of N specs cost N² template parses.
 */
export interface UndoRegistry {
  /** The registry blocks, from the undos that run last (level 0). */
  readonly blocks: TerraformResource[];
  /** Every Keyfactor construct of the stack, with or without an undo, by construct. */
  readonly members: Map<Construct, Member>;
}

interface Member {
  readonly owner: Construct;
  /** The carriers of this construct whose instances have an undo worth running after a deletion, with each instance's spec. */
  readonly undoCarriers: Array<{ readonly carrier: TerraformResource; readonly specs: Record<string, string> }>;
  readonly dependsOn: ITerraformDependable[];
}

const REGISTRIES = new WeakMap<TerraformStack, UndoRegistry>();

/**
 * The registry of the stack `scope` is in, created on first use with the resource type of the
 * carrier `settings` gives (the stack's default carrier, else the first construct's) and the
 * stack's ledger directory.
 */
export function undoRegistry(scope: Construct, settings: () => { carrier: Carrier; ledger: Record<string, string> }): UndoRegistry {
  const stack = TerraformStack.of(scope);
  const known = REGISTRIES.get(stack);
  if (known) return known;
  const { carrier, ledger } = settings();
  const registry: UndoRegistry = { blocks: [], members: new Map() };
  const value = { spec: '${each.value.spec}', carrier: '${each.value.carrier}' };
  const provisioners = [{
    type: 'local-exec' as const,
    when: 'destroy' as const,
    // Always the runner, even on a stack destroy (the carrier still configured, so it undoes): a
    // carrier whose create was interrupted is tainted, Terraform skips its destroy provisioner, and
    // only the runner can tell that from the ledger.
    command: runnerCommand(stack, 'orphan'),
    environment: provisionerEnvironment(carrier, ledger, { [CARRIER_ENV]: 'carrier' }),
  }];
  let levels: Map<Member, number> | undefined;
  const levelsOf = () => (levels ??= memberLevels(registry));
  for (let level = 0; level < UNDO_LEVELS; level++) {
    const id = undoRegistryId(level);
    const instances = new TerraformLocal(stack, `${id}Instances`, Lazy.anyValue({ produce: () => instancesAt(registry, levelsOf(), level) }));
    let block: TerraformResource;
    if (carrier.type === CarrierType.TERRAFORM_DATA) {
      const data = new DataResource(stack, id, { input: value, provisioners });
      checkTerraformVersionOncePerStack(data);
      block = data;
    } else {
      const nullProvider = loadNullProvider();
      ensureNullProvider(stack, nullProvider);
      block = new nullProvider.resource.Resource(stack, id, { triggers: value, provisioners });
    }
    // Resolved when the stack synthesizes, after every construct registered; an empty map keeps
    // the block (and so the undos of constructs deleted since the last apply).
    block.addOverride('for_each', instances.expression);
    const previous = registry.blocks[level - 1];
    block.addOverride('depends_on', Lazy.listValue({ produce: () => dependenciesAt(registry, levelsOf(), level, previous) }, { omitEmpty: true }));
    registry.blocks.push(block);
  }
  REGISTRIES.set(stack, registry);
  return registry;
}

/**
 * Registers a carrier of the Keyfactor construct `owner`: its instances (`specs`, by instance
 * key) when they have an undo to run after a deletion (`undo`), and in any case what it depends
 * on, which places the owner's undos after those of its dependents.
 */
export function registerCarrier(
  registry: UndoRegistry, owner: Construct, carrier: TerraformResource, specs: Record<string, string> | undefined, undo: boolean,
  dependsOn: ITerraformDependable[] = [],
): void {
  let member = registry.members.get(owner);
  if (!member) {
    member = { owner, undoCarriers: [], dependsOn: [] };
    registry.members.set(owner, member);
  }
  member.dependsOn.push(...dependsOn);
  if (undo && specs && Object.keys(specs).length) member.undoCarriers.push({ carrier, specs });
}

/**
 * Each construct's level: 0 when it depends on no Keyfactor construct with an undo, else one
 * more than the highest level among the undo-holding constructs it depends on (directly or through
 * Keyfactor constructs without an undo). Levels past the last block share the last block.
 */
function memberLevels(registry: UndoRegistry): Map<Member, number> {
  const levels = new Map<Member, number>();
  const visiting = new Set<Member>();
  const ownerOf = (dep: ITerraformDependable) => memberOf(registry, dep);
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

/** The Keyfactor construct `dep` is (or is part of), if any. */
function memberOf(registry: UndoRegistry, dep: ITerraformDependable): Member | undefined {
  for (let s: Construct | undefined = dep instanceof Construct ? dep : undefined; s; s = s.node.scope) {
    const m = registry.members.get(s);
    if (m) return m;
  }
  return undefined;
}

const levelOf = (levels: Map<Member, number>, m: Member) => Math.min(levels.get(m) ?? 0, UNDO_LEVELS - 1);

/** What block `level` depends on: the previous block, and what its constructs depend on outside this library. */
function dependenciesAt(registry: UndoRegistry, levels: Map<Member, number>, level: number, previous?: TerraformResource): string[] {
  const found = new Set<ITerraformDependable>(previous ? [previous] : []);
  for (const m of registry.members.values()) {
    if (!m.undoCarriers.length || levelOf(levels, m) !== level) continue;
    for (const dep of m.dependsOn) if (!memberOf(registry, dep)) found.add(dep);
  }
  return [...found].map((d) => dependable(d));
}

function instancesAt(registry: UndoRegistry, levels: Map<Member, number>, level: number): Record<string, { carrier: string; spec: string }> {
  const instances: Record<string, { carrier: string; spec: string }> = {};
  for (const m of registry.members.values()) {
    if (levelOf(levels, m) !== level) continue;
    for (const { carrier, specs } of m.undoCarriers) {
      const address = `${carrier.terraformResourceType}.${carrier.friendlyUniqueId}`;
      for (const [key, spec] of Object.entries(specs)) {
        const id = `${carrier.node.path}[${key}]`;
        if (instances[id]) throw new Error(`cdktf-keyfactor: two carrier instances share the undo registry key ${id}; rename one of the constructs.`);
        instances[id] = { carrier: address, spec };
      }
    }
  }
  return instances;
}
