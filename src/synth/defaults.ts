import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier } from './carrier';
import { ledgerEnvironment } from './provisioner';
import { undoRegistry } from './undo-registry';
import { Validator } from './validation';
import { WaitPolicy } from './wait-policy';
import type { LedgerLocation } from '../contract/ledger-location';
import type { Ledger } from '../ledger';

/** Settings shared by every Keyfactor construct below a scope (usually a stack). */
export interface KeyfactorDefaultsProps {
  /**
   * Carrier for constructs that do not choose one.
   * @default Carrier.terraformData()
   */
  readonly carrier?: Carrier;
  /**
   * Where the runner keeps the ledger (job GUIDs, what recovery after a cancelled apply reads):
   * `Ledger.s3(...)`, `Ledger.azureBlob(...)`, `Ledger.postgres(...)` or `Ledger.directory(path)`.
   * Must be known at synth. `CDKTF_KEYFACTOR_LEDGER` at apply time wins over it.
   * @default - beside the stack's Terraform state: the same bucket for an `s3` backend, the same
   * container for `azurerm`, a table in the same schema for `pg`, `.keyfactor-ledger` where
   * `cdktf synth` runs for a local state; other backends keep it there too, with a warning
   */
  readonly ledger?: Ledger;
  /**
   * Where the runner writes the ledger, relative to the directory `cdktf synth` runs in
   * (or absolute).
   * @deprecated use `ledger: Ledger.directory(path)`
   * @default - see `ledger`
   */
  readonly ledgerDirectory?: string;
  /**
   * Wait policy for constructs that create orchestrator jobs and do not choose one.
   * @default WaitPolicy.noWait()
   */
  readonly wait?: WaitPolicy;
}

/**
 * Defaults for every Keyfactor construct in the scope it is added to:
 * `new KeyfactorDefaults(stack, 'KeyfactorDefaults', { carrier: Carrier.nullResource() })`.
 *
 * It also keeps its stack's undo registry (resource `KeyfactorUndo`), so even deleting the
 * stack's last Keyfactor construct from the code runs that construct's undo on the next apply.
 */
export class KeyfactorDefaults extends Construct {
  /** The defaults in force at `scope`: the nearest KeyfactorDefaults among its ancestors' children. */
  public static of(scope: Construct): KeyfactorDefaultsProps {
    // A lookup per ancestor, not a scan of its children: constructs call this several times
    // each, so a scan would make synth time quadratic in the number of constructs.
    return nearest(scope)?.props ?? {};
  }

  /** @internal The provisioner environment naming the ledger of the defaults in force at `scope`. */
  public static _ledgerEnvironment(scope: Construct): Record<string, string> {
    const found = nearest(scope);
    return ledgerEnvironment(scope, found?.ledger, found?.props.ledgerDirectory);
  }

  /** The defaults this construct sets. */
  public readonly props: KeyfactorDefaultsProps;
  /** The ledger chosen, validated (undefined: the default, or invalid). */
  private readonly ledger?: LedgerLocation;

  constructor(scope: Construct, id: string, props: KeyfactorDefaultsProps = {}) {
    super(scope, id);
    this.props = props;
    // The first one added to a scope wins, as it would in a search of the scope's children.
    if (!DEFAULTS_BY_SCOPE.has(scope)) DEFAULTS_BY_SCOPE.set(scope, this);
    const v = new Validator(this, 'KeyfactorDefaults');
    if (props.ledger !== undefined) {
      if (props.ledgerDirectory !== undefined) v.fail('ledger', 'cannot be set together with ledgerDirectory (deprecated): use ledger: Ledger.directory(path) alone');
      else if (typeof (props.ledger as Partial<Ledger>)?._render !== 'function') v.fail('ledger', 'must be a Ledger, e.g. Ledger.s3({ bucket: "..." })');
      else this.ledger = props.ledger._render(v, 'ledger');
    }
    v.report();
    if (isInStack(scope)) {
      const carrier = props.carrier ?? Carrier.terraformData();
      undoRegistry(scope, () => ({ carrier, ledger: ledgerEnvironment(scope, this.ledger, props.ledgerDirectory) }));
    }
  }
}

function nearest(scope: Construct): KeyfactorDefaults | undefined {
  for (let s: Construct | undefined = scope; s; s = s.node.scope) {
    const found = DEFAULTS_BY_SCOPE.get(s);
    if (found) return found;
  }
  return undefined;
}

function isInStack(scope: Construct): boolean {
  return scope.node.scopes.some((s) => TerraformStack.isStack(s));
}

/** The KeyfactorDefaults added to each scope (the first, if several were). */
const DEFAULTS_BY_SCOPE = new WeakMap<Construct, KeyfactorDefaults>();
