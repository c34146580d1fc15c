import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Carrier } from './carrier';
import { ledgerDirFromStackDir } from './provisioner';
import { undoRegistry } from './undo-registry';
import { WaitPolicy } from './wait-policy';

/** Settings shared by every Keyfactor construct below a scope (usually a stack). */
export interface KeyfactorDefaultsProps {
  /**
   * Carrier for constructs that do not choose one.
   * @default Carrier.terraformData()
   */
  readonly carrier?: Carrier;
  /**
   * Where the runner writes the ledger, relative to the directory `cdktf synth` runs in
   * (or absolute). The `CDKTF_KEYFACTOR_LEDGER_DIR` environment variable at apply time wins.
   * @default ".keyfactor-ledger"
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
    for (let s: Construct | undefined = scope; s; s = s.node.scope) {
      const found = DEFAULTS_BY_SCOPE.get(s);
      if (found) return found.props;
    }
    return {};
  }

  /** The defaults this construct sets. */
  public readonly props: KeyfactorDefaultsProps;

  constructor(scope: Construct, id: string, props: KeyfactorDefaultsProps = {}) {
    super(scope, id);
    this.props = props;
    // The first one added to a scope wins, as it would in a search of the scope's children.
    if (!DEFAULTS_BY_SCOPE.has(scope)) DEFAULTS_BY_SCOPE.set(scope, this);
    if (isInStack(scope)) {
      const carrier = props.carrier ?? Carrier.terraformData();
      undoRegistry(scope, () => ({ carrier, ledgerDirectory: ledgerDirFromStackDir(scope, props.ledgerDirectory) }));
    }
  }
}

function isInStack(scope: Construct): boolean {
  return scope.node.scopes.some((s) => TerraformStack.isStack(s));
}

/** The KeyfactorDefaults added to each scope (the first, if several were). */
const DEFAULTS_BY_SCOPE = new WeakMap<Construct, KeyfactorDefaults>();
