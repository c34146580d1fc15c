import * as fs from 'fs';
import * as path from 'path';
import { App, AssetType, DataResource, TerraformAsset, TerraformIterator, TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { canonicalJson, DEFAULT_LEDGER_ENV, SPEC_ENV, specHash, SpecBase } from './spec';

/** Which Terraform resource carries an operation's provisioners. */
export enum CarrierType {
  /** Terraform's built-in `terraform_data` (Terraform >= 1.4): no provider to download. */
  TERRAFORM_DATA = 'terraform_data',
  /** `null_resource` from the hashicorp/null provider (@cdktf/provider-null). */
  NULL_RESOURCE = 'null_resource',
}

/**
 * The resource that carries an operation: its local-exec provisioners run the runner on
 * create and (where the operation has an undo) on destroy.
 */
export class Carrier {
  /**
   * `terraform_data`, built into Terraform >= 1.4. Needs no provider download, which is what
   * air-gapped pipelines need. The default.
   */
  public static terraformData(): Carrier {
    return new Carrier(CarrierType.TERRAFORM_DATA);
  }

  /**
   * `null_resource` from the hashicorp/null provider, for Terraform < 1.4 or teams whose
   * policies expect it. The provider must be installable where `terraform init` runs.
   */
  public static nullResource(): Carrier {
    return new Carrier(CarrierType.NULL_RESOURCE);
  }

  private constructor(
    /** The carrier's resource type. */
    public readonly type: CarrierType,
  ) {}
}

/** Settings shared by every Keyfactor construct below a scope (usually a stack). */
export interface KeyfactorDefaultsProps {
  /**
   * Carrier for constructs that do not choose one.
   * @default Carrier.terraformData()
   */
  readonly carrier?: Carrier;
  /**
   * Where the runner writes the ledger, relative to the directory `cdktf synth` runs in
   * (or absolute). The `KEYFACTOR_LEDGER_DIR` environment variable at apply time wins.
   * @default ".keyfactor-ledger"
   */
  readonly ledgerDirectory?: string;
}

/**
 * Defaults for every Keyfactor construct in the scope it is added to:
 * `new KeyfactorDefaults(stack, 'KeyfactorDefaults', { carrier: Carrier.nullResource() })`.
 */
export class KeyfactorDefaults extends Construct {
  /** The defaults in force at `scope`: the nearest KeyfactorDefaults among its ancestors' children. */
  public static of(scope: Construct): KeyfactorDefaultsProps {
    for (let s: Construct | undefined = scope; s; s = s.node.scope) {
      const found = s.node.children.find((c): c is KeyfactorDefaults => c instanceof KeyfactorDefaults);
      if (found) return found.props;
    }
    return {};
  }

  /** The defaults this construct sets. */
  public readonly props: KeyfactorDefaultsProps;

  constructor(scope: Construct, id: string, props: KeyfactorDefaultsProps = {}) {
    super(scope, id);
    this.props = props;
  }
}

/** The runner bundle built by `npm run compile` (esbuild). Same path from src/ and lib/. */
export const RUNNER_BUNDLE = path.resolve(__dirname, '..', '..', 'bundle', 'runner.cjs');
const RUNNER_ASSET_ID = 'KeyfactorRunner';
export const DEFAULT_LEDGER_DIRECTORY = '.keyfactor-ledger';

export interface CarrierOptions {
  /** One spec per carrier instance, by instance key (rendered with for_each), or a single spec. */
  readonly instances: Record<string, SpecBase> | SpecBase;
  /** Whether a destroy-time provisioner runs the operation's undo. */
  readonly undo: boolean;
  readonly carrier?: Carrier;
}

/**
 * Renders the carrier resource. Its input/triggers hold the non-secret spec (JSON) and its
 * hash: a changed spec replaces the instance, so the operation runs again. Provisioners read
 * the spec from `self` only, which is all Terraform allows a destroy-time provisioner.
 */
export function renderCarrier(scope: Construct, options: CarrierOptions): TerraformResource {
  const carrier = options.carrier ?? KeyfactorDefaults.of(scope).carrier ?? Carrier.terraformData();
  const runner = runnerAssetPath(scope);
  const single = typeof (options.instances as SpecBase).operation === 'string';
  const toValue = (spec: SpecBase) => ({ spec: canonicalJson(spec), hash: specHash(spec) });

  let iterator: TerraformIterator | undefined;
  let value: { spec: string; hash: string };
  if (single) {
    value = toValue(options.instances as SpecBase);
  } else {
    const map: Record<string, { spec: string; hash: string }> = {};
    for (const [key, spec] of Object.entries(options.instances as Record<string, SpecBase>)) map[key] = toValue(spec);
    iterator = TerraformIterator.fromMap(map);
    value = { spec: iterator.getString('spec'), hash: iterator.getString('hash') };
  }

  const selfSpec = carrier.type === CarrierType.TERRAFORM_DATA ? '${self.input.spec}' : '${self.triggers.spec}';
  const environment = { [SPEC_ENV]: selfSpec, [DEFAULT_LEDGER_ENV]: ledgerDirFromStackDir(scope) };
  const provisioner = (phase: 'create' | 'destroy') => ({
    type: 'local-exec' as const,
    command: `node "${runner}" ${phase}`,
    environment,
    ...(phase === 'destroy' ? { when: 'destroy' as const } : {}),
  });
  const provisioners = options.undo ? [provisioner('create'), provisioner('destroy')] : [provisioner('create')];

  if (carrier.type === CarrierType.TERRAFORM_DATA) {
    return new DataResource(scope, 'Carrier', {
      forEach: iterator,
      input: value,
      triggersReplace: { hash: value.hash },
      provisioners,
    });
  }
  // Loaded only when asked for, so stacks using terraform_data never load the null provider.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nullProvider = require('@cdktf/provider-null') as typeof import('@cdktf/provider-null');
  ensureNullProvider(scope, nullProvider);
  return new nullProvider.resource.Resource(scope, 'Carrier', {
    forEach: iterator,
    triggers: value,
    provisioners,
  });
}

function ensureNullProvider(scope: Construct, mod: typeof import('@cdktf/provider-null')): void {
  const stack = TerraformStack.of(scope);
  const has = stack.node.findAll().some((c) => c instanceof mod.provider.NullProvider);
  if (!has) new mod.provider.NullProvider(stack, 'KeyfactorNullProvider');
}

/** The runner bundle as a stack asset (one per stack), so cdktf.out carries it along. */
function runnerAssetPath(scope: Construct): string {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(RUNNER_ASSET_ID) as TerraformAsset | undefined;
  if (existing) return existing.path;
  if (!fs.existsSync(RUNNER_BUNDLE)) {
    throw new Error(
      `cdktf-keyfactor: the runner bundle ${RUNNER_BUNDLE} is missing. ` +
        'Reinstall the package, or in a checkout run `npm run compile`.',
    );
  }
  return new TerraformAsset(stack, RUNNER_ASSET_ID, { path: RUNNER_BUNDLE, type: AssetType.FILE }).path;
}

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

/** Stack name and construct path of a construct, for its spec. */
export function specIdentity(scope: Construct): { stack: string; path: string } {
  return { stack: TerraformStack.of(scope).node.id, path: scope.node.path };
}
