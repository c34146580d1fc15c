import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetType, DataResource, TerraformAsset, TerraformStack } from 'cdktf';
import { Construct, IValidation } from 'constructs';
import { Carrier, CarrierType } from './carrier';
import { DEFAULT_LEDGER_DIRECTORY, DEFAULT_LEDGER_ENV, SPEC_ENV, STACK_LEDGER_ENV, WORKSPACE_ENV } from '../contract/environment';
import { LedgerLocation, locationUrl } from '../contract/ledger-location';

/*
 * What every carrier (and the stack's undo registry) is rendered with: the runner asset, the
 * provisioner command and environment, the null provider, the stack's one version check.
 */

/**
 * What an apply machine needs besides node and terraform, built by `npm run compile` (esbuild):
 * the runner and the shared ledger stores' clients (`ledger-<type>.cjs`). Same path from src/ and lib/.
 */
export const RUNNER_DIR = path.resolve(__dirname, '..', '..', 'bundle', 'runner');
export const RUNNER_BUNDLE = path.join(RUNNER_DIR, 'runner.cjs');
const RUNNER_ASSET_ID = 'KeyfactorRunner';

/** What every provisioner of a carrier of type `carrier` gets: its spec (read from `self`), ledger (ledgerEnvironment) and workspace. */
export function provisionerEnvironment(carrier: Carrier, ledger: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const self = selfAttribute(carrier);
  return {
    [SPEC_ENV]: `\${self.${self}.spec}`,
    ...Object.fromEntries(Object.entries(extra).map(([name, field]) => [name, `\${self.${self}.${field}}`])),
    ...ledger,
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

/**
 * Whether the stack of `scope` synthesizes HCL (`cdktf synth --hcl`): its synthesizer decides,
 * from SYNTH_HCL_OUTPUT when the stack was created (App's own `hclOutput` only names the file).
 */
export function rendersHcl(scope: Construct): boolean {
  const synthesizer = TerraformStack.of(scope).synthesizer as { hclOutput?: unknown };
  return synthesizer.hclOutput === true;
}

/** Stacks already given their null provider (or found to have one), so each stack is searched once. */
const NULL_PROVIDER_CHECKED = new WeakSet<TerraformStack>();

/**
 * @cdktf/provider-null, loaded only when a construct asks for `Carrier.nullResource()`: it is an
 * optional peer dependency, so stacks using terraform_data never install or load it.
 */
export function loadNullProvider(): typeof import('@cdktf/provider-null') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@cdktf/provider-null') as typeof import('@cdktf/provider-null');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error('cdktf-keyfactor: Carrier.nullResource() needs the @cdktf/provider-null package: `npm install @cdktf/provider-null@^11` ' +
      '(or use the default carrier, Carrier.terraformData(), which needs no provider).');
  }
}

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

/** The runner's directory as a stack asset (one per stack), so cdktf.out carries it along. */
export function runnerAssetPath(scope: Construct): string {
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
  const asset = existing ?? new TerraformAsset(stack, RUNNER_ASSET_ID, { path: RUNNER_DIR, type: AssetType.DIRECTORY, assetHash: runnerHash() });
  // TerraformAsset computes its path (hashing) on every read; every carrier of the stack asks.
  const runner = `${asset.path}/runner.cjs`;
  RUNNER_PATHS.set(stack, runner);
  return runner;
}

let hash: string | undefined;

/**
 * The asset's hash, of the files an apply runs only: the V8 code cache a runner writes beside
 * itself (when run from the package, as tests do) must not change the path every carrier names.
 */
function runnerHash(): string {
  if (hash === undefined) {
    const h = createHash('sha256');
    for (const name of fs.readdirSync(RUNNER_DIR).filter((n) => n.endsWith('.cjs')).sort()) h.update(name).update('\0').update(fs.readFileSync(path.join(RUNNER_DIR, name)));
    hash = h.digest('hex').slice(0, 32).toUpperCase();
  }
  return hash;
}

/** The runner asset's path in each stack, once known. */
const RUNNER_PATHS = new WeakMap<TerraformStack, string>();

/**
 * Where the runner keeps the ledger, as provisioner environment: the local directory (relative to
 * the stack's directory in cdktf.out, where Terraform runs provisioners, so moving the whole
 * project keeps it valid) and, when the scope's KeyfactorDefaults chose a ledger, that choice. A
 * directory chosen with the deprecated `ledgerDirectory` is a choice too.
 */
export function ledgerEnvironment(scope: Construct, chosen: LedgerLocation | undefined, ledgerDirectory: string | undefined): Record<string, string> {
  if (!chosen && ledgerDirectory !== undefined) chosen = { type: 'directory', path: ledgerDirectory };
  const local = ledgerDirFromStackDir(scope, chosen?.type === 'directory' ? chosen.path : undefined);
  if (!chosen) return { [DEFAULT_LEDGER_ENV]: local };
  return { [DEFAULT_LEDGER_ENV]: local, [STACK_LEDGER_ENV]: chosen.type === 'directory' ? local : locationUrl(chosen) };
}

/** A directory as the runner will see it: relative to the stack's directory in cdktf.out. */
function ledgerDirFromStackDir(scope: Construct, configured: string | undefined): string {
  const stack = TerraformStack.of(scope);
  // Every carrier asks; the answer depends on the stack and the configured directory only.
  const known = LEDGER_DIRS.get(stack) ?? new Map<string | undefined, string>();
  LEDGER_DIRS.set(stack, known);
  let relative = known.get(configured);
  if (relative === undefined) {
    const stackDir = path.resolve(App.of(scope).outdir, 'stacks', stack.node.id);
    relative = path.relative(stackDir, path.resolve(configured ?? DEFAULT_LEDGER_DIRECTORY)).split(path.sep).join('/');
    known.set(configured, relative);
  }
  return relative;
}

const LEDGER_DIRS = new WeakMap<TerraformStack, Map<string | undefined, string>>();
