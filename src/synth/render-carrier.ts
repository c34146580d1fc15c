import * as fs from 'fs';
import * as path from 'path';
import { App, AssetType, DataResource, ITerraformDependable, TerraformAsset, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IValidation } from 'constructs';
import { Carrier, CarrierType, KeyfactorDefaults } from './carrier';
import { registerUndo, undoRegistry } from './undo-registry';
import { Validator } from './validation';
import { WaitPolicy } from './wait-policy';
import { DEFAULT_LEDGER_DIRECTORY, DEFAULT_LEDGER_ENV, SPEC_ENV, variableEnvName, WORKSPACE_ENV } from '../contract/environment';
import { canonicalJson, specHash, SpecBase, WaitSpec } from '../contract/spec';

/** The runner bundle built by `npm run compile` (esbuild). Same path from src/ and lib/. */
export const RUNNER_BUNDLE = path.resolve(__dirname, '..', '..', 'bundle', 'runner.cjs');
const RUNNER_ASSET_ID = 'KeyfactorRunner';

export interface CarrierOptions {
  /** One spec per carrier instance, by instance key (rendered with for_each), or a single spec. */
  readonly instances: Record<string, SpecBase> | SpecBase;
  /** Whether a destroy-time provisioner runs the operation's undo. */
  readonly undo: boolean;
  /**
   * Whether the stack's undo registry also holds the instances, so deleting the construct from
   * the code runs the undo. Only for undos that do something. Default: `undo`.
   */
  readonly undoWhenDeleted?: boolean;
  readonly carrier?: Carrier;
  /** Construct id of the carrier resource. Default `Carrier`. */
  readonly id?: string;
  /** Resources this carrier is created after (and destroyed before). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Renders the carrier resource. Its input/triggers hold the non-secret spec (JSON) and its
 * hash: a changed spec replaces the instance, so the operation runs again. Provisioners read
 * the spec from `self` only, which is all Terraform allows a destroy-time provisioner.
 */
export function renderCarrier(scope: Construct, options: CarrierOptions): TerraformResource {
  const carrier = options.carrier ?? KeyfactorDefaults.of(scope).carrier ?? Carrier.terraformData();
  const single = typeof (options.instances as SpecBase).operation === 'string';
  // The hash covers the spec's identity only (not runtime options such as `wait`), so with
  // terraform_data a runtime option change updates `input` in place and re-runs nothing.
  const toValue = (spec: SpecBase) => ({ spec: canonicalJson(spec), hash: specHash(spec) });

  // for_each is written as a plain map and its values as plain `each.value` expressions, not
  // with a TerraformIterator, whose tokens each capture a stack trace and make large stacks slow
  // to synthesize. Same JSON either way.
  let forEach: Record<string, { spec: string; hash: string }> | undefined;
  let value: { spec: string; hash: string };
  if (single) {
    value = toValue(options.instances as SpecBase);
  } else {
    forEach = {};
    for (const [key, spec] of Object.entries(options.instances as Record<string, SpecBase>)) forEach[key] = toValue(spec);
    value = { spec: '${each.value.spec}', hash: '${each.value.hash}' };
  }

  const environment = provisionerEnvironment(scope, carrier);
  // Sensitive Terraform variables reach the create step through its environment only.
  const specs = single ? [options.instances as SpecBase] : Object.values(options.instances as Record<string, SpecBase>);
  const variables = new Set<string>();
  specs.forEach((spec) => variableRefs(spec, variables));
  const variableEnv = Object.fromEntries([...variables].map((name) => [variableEnvName(name), `\${var.${name}}`]));
  const provisioner = (phase: 'create' | 'destroy' | 'report') => ({
    type: 'local-exec' as const,
    command: runnerCommand(scope, phase),
    environment: phase === 'create' ? { ...environment, ...variableEnv } : environment,
    ...(phase === 'destroy' ? { when: 'destroy' as const } : {}),
  });
  const provisioners = [provisioner('create')];
  // Terraform hides the output of a provisioner that carries a sensitive value; a second one,
  // without secrets, prints what the first recorded (job GUIDs) so the apply log still shows it.
  if (variables.size > 0) provisioners.push(provisioner('report'));
  if (options.undo) provisioners.push(provisioner('destroy'));

  let resource: TerraformResource;
  if (carrier.type === CarrierType.TERRAFORM_DATA) {
    const data = new DataResource(scope, options.id ?? 'Carrier', {
      dependsOn: options.dependsOn,
      input: value,
      triggersReplace: { hash: value.hash },
      provisioners,
    });
    checkTerraformVersionOncePerStack(data);
    resource = data;
  } else {
    // Loaded only when asked for, so stacks using terraform_data never load the null provider.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nullProvider = require('@cdktf/provider-null') as typeof import('@cdktf/provider-null');
    ensureNullProvider(scope, nullProvider);
    resource = new nullProvider.resource.Resource(scope, options.id ?? 'Carrier', {
      dependsOn: options.dependsOn,
      triggers: value,
      provisioners,
    });
  }
  if (forEach) resource.addOverride('for_each', forEach);
  // Every stack with a Keyfactor construct keeps its registry, even when none has an undo, so
  // deleting the last construct that had one still runs it.
  const registry = undoRegistry(scope, carrier);
  if (forEach && options.undo && (options.undoWhenDeleted ?? true)) registerUndo(registry, resource, Object.keys(forEach));
  return resource;
}

/** What every provisioner of a carrier of type `carrier` gets: its spec (read from `self`), ledger directory and workspace. */
export function provisionerEnvironment(scope: Construct, carrier: Carrier, extra: Record<string, string> = {}): Record<string, string> {
  const self = selfAttribute(carrier);
  return {
    [SPEC_ENV]: `\${self.${self}.spec}`,
    ...Object.fromEntries(Object.entries(extra).map(([name, field]) => [name, `\${self.${self}.${field}}`])),
    [DEFAULT_LEDGER_ENV]: ledgerDirFromStackDir(scope),
    [WORKSPACE_ENV]: '${terraform.workspace}',
  };
}

/** The attribute of a carrier that holds its values: `input` (terraform_data) or `triggers` (null_resource). */
export function selfAttribute(carrier: Carrier): 'input' | 'triggers' {
  return carrier.type === CarrierType.TERRAFORM_DATA ? 'input' : 'triggers';
}

/** `exec node <runner> <phase>`: node replaces the shell, so the signal Terraform sends on cancel reaches the runner. */
export function runnerCommand(scope: Construct, phase: string): string {
  return `exec node "${runnerAssetPath(scope)}" ${phase}`;
}

/** Every `variable` secret reference anywhere in a spec. */
function variableRefs(spec: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(spec)) {
    spec.forEach((x) => variableRefs(x, found));
  } else if (spec && typeof spec === 'object') {
    const o = spec as Record<string, unknown>;
    if (o.source === 'variable' && typeof o.name === 'string') found.add(o.name);
    else Object.values(o).forEach((x) => variableRefs(x, found));
  }
  return found;
}

/** Stacks already given their null provider (or found to have one), so each stack is searched once. */
const NULL_PROVIDER_CHECKED = new WeakSet<TerraformStack>();

export function ensureNullProvider(scope: Construct, mod: typeof import('@cdktf/provider-null')): void {
  const stack = TerraformStack.of(scope);
  if (NULL_PROVIDER_CHECKED.has(stack)) return;
  NULL_PROVIDER_CHECKED.add(stack);
  const has = stack.node.findAll().some((c) => c instanceof mod.provider.NullProvider);
  if (!has) new mod.provider.NullProvider(stack, 'KeyfactorNullProvider');
}

/** Stacks that already carry the one Terraform version check of their carriers. */
const VERSION_CHECKED = new WeakSet<TerraformStack>();

/**
 * cdktf's DataResource gives every instance a validation that spawns `terraform version` when
 * the app synthesizes, which makes synth time grow with the number of carriers. The answer is
 * the same for every carrier of a stack, so the check moves to the stack: one `terraform version`
 * per stack, same message ("... only supported for Terraform >=1.4 ...") when it fails.
 * Validations have no public removal API; if constructs ever stores them differently, cdktf's
 * per-resource checks stay.
 */
export function checkTerraformVersionOncePerStack(resource: DataResource): void {
  const validations = (resource.node as unknown as { _validations?: unknown })._validations;
  if (!Array.isArray(validations)) return;
  const index = validations.findIndex(isTerraformVersionCheck);
  if (index < 0) return;
  const [check] = validations.splice(index, 1) as IValidation[];
  const stack = TerraformStack.of(resource);
  if (VERSION_CHECKED.has(stack)) return;
  VERSION_CHECKED.add(stack);
  stack.node.addValidation(check);
}

/** DataResource's ValidateTerraformVersion('>=1.4') (a class cdktf does not export). */
function isTerraformVersionCheck(v: unknown): boolean {
  const c = v as { validate?: unknown; versionCommand?: unknown; versionConstraint?: unknown };
  return typeof c?.validate === 'function' && c.versionConstraint === '>=1.4' &&
    typeof c.versionCommand === 'string' && c.versionCommand.endsWith(' version');
}

/** The runner bundle as a stack asset (one per stack), so cdktf.out carries it along. */
function runnerAssetPath(scope: Construct): string {
  const stack = TerraformStack.of(scope);
  const known = RUNNER_PATHS.get(stack);
  if (known !== undefined) return known;
  const existing = stack.node.tryFindChild(RUNNER_ASSET_ID) as TerraformAsset | undefined;
  if (!existing && !fs.existsSync(RUNNER_BUNDLE)) {
    throw new Error(
      `cdktf-keyfactor: the runner bundle ${RUNNER_BUNDLE} is missing. ` +
        'Reinstall the package, or in a checkout run `npm run compile`.',
    );
  }
  const asset = existing ?? new TerraformAsset(stack, RUNNER_ASSET_ID, { path: RUNNER_BUNDLE, type: AssetType.FILE });
  // TerraformAsset computes its path (hashing) on every read; every carrier of the stack asks.
  RUNNER_PATHS.set(stack, asset.path);
  return asset.path;
}

/** The runner asset's path in each stack, once known. */
const RUNNER_PATHS = new WeakMap<TerraformStack, string>();

/**
 * The ledger directory as the runner will see it: relative to the stack's directory in
 * cdktf.out (where Terraform runs provisioners), so moving the whole project keeps it valid.
 */
function ledgerDirFromStackDir(scope: Construct): string {
  const configured = KeyfactorDefaults.of(scope).ledgerDirectory ?? DEFAULT_LEDGER_DIRECTORY;
  const ledger = path.resolve(configured);
  const stack = TerraformStack.of(scope);
  const stackDir = path.resolve(App.of(scope).outdir, 'stacks', stack.node.id);
  return path.relative(stackDir, ledger).split(path.sep).join('/');
}

/** Terraform address of a carrier instance, e.g. `terraform_data.web_Carrier_1A2B3C4D["key"]`. */
export function carrierAddress(resource: TerraformResource, key?: string): string {
  const base = `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  return key === undefined ? base : `${base}[${JSON.stringify(key)}]`;
}

/** Stack name and construct path of a construct, for its spec. */
export function specIdentity(scope: Construct): { stack: string; path: string } {
  return { stack: TerraformStack.of(scope).node.id, path: scope.node.path };
}

/** The wait policy in force for a construct (its prop, else the scope's defaults, else noWait), validated. */
export function resolveWait(scope: Construct, v: Validator, wait: WaitPolicy | undefined): WaitSpec | undefined {
  const policy = wait ?? KeyfactorDefaults.of(scope).wait ?? WaitPolicy.noWait();
  if (!(policy instanceof WaitPolicy)) {
    v.fail('wait', 'must be a WaitPolicy, e.g. WaitPolicy.forCompletion()');
    return undefined;
  }
  return policy._render(v, 'wait');
}
