/**
 * The provisioner environment: the variables a carrier sets for the runner, and the one a user
 * sets to move the ledger. Names only; the runner parses them in `src/runtime/settings.ts`.
 */

/** The carrier's spec (JSON, read from `self`). */
export const SPEC_ENV = 'CDKTF_KEYFACTOR_SPEC';
/**
 * Construct ids, and so Terraform names, of a stack's undo registry blocks (see
 * src/synth/undo-registry.ts): `KeyfactorUndo` holds the undos that run last, `KeyfactorUndo1`
 * and `KeyfactorUndo2` those of constructs that depend on them.
 */
export const UNDO_REGISTRY_ID = 'KeyfactorUndo';
/** How many registry blocks a stack has: the length of the dependsOn chains whose undos run in order. */
export const UNDO_LEVELS = 3;

export function undoRegistryId(level: number): string {
  return level === 0 ? UNDO_REGISTRY_ID : `${UNDO_REGISTRY_ID}${level}`;
}

export function isUndoRegistryId(name: string): boolean {
  return new RegExp(`^${UNDO_REGISTRY_ID}\\d*$`).test(name);
}
/** The undo registry's record of the carrier an undo belongs to (its Terraform resource address). */
export const CARRIER_ENV = 'CDKTF_KEYFACTOR_CARRIER';
/**
 * The local ledger directory, relative to the stack directory: `.keyfactor-ledger` where `cdktf
 * synth` ran. The ledger of a stack whose state is local; otherwise where records wait when the
 * stack's store cannot take them, and where versions before shared stores kept them.
 */
export const DEFAULT_LEDGER_ENV = 'CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR';
/** Default ledger directory, relative to where `cdktf synth` runs. */
export const DEFAULT_LEDGER_DIRECTORY = '.keyfactor-ledger';
/**
 * Set by a user at apply time (and for the CLI) to choose the ledger: a URL (`s3://bucket/prefix`,
 * `azblob://account/container/prefix`, `postgres://host/db`) or an absolute directory. Wins over
 * the stack's choice and its backend.
 */
export const LEDGER_LOCATION_ENV = 'CDKTF_KEYFACTOR_LEDGER';
/** The older spelling, for a directory only; still honoured. */
export const LEDGER_ENV = 'CDKTF_KEYFACTOR_LEDGER_DIR';
/** The ledger a stack chose at synth (`KeyfactorDefaults` `ledger`): a URL, or a directory relative to the stack directory. */
export const STACK_LEDGER_ENV = 'CDKTF_KEYFACTOR_STACK_LEDGER';
/** How long one read or write of a shared ledger store may take, in seconds. */
export const LEDGER_TIMEOUT_ENV = 'CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS';
/** The Terraform workspace, set by the carrier from `terraform.workspace`. */
export const WORKSPACE_ENV = 'CDKTF_KEYFACTOR_WORKSPACE';
/** Prefix of the variables that carry sensitive Terraform variables to the create step. */
export const VARIABLE_ENV_PREFIX = 'CDKTF_KEYFACTOR_VAR_';

/** The provisioner environment variable that carries Terraform variable `name`. */
export function variableEnvName(name: string): string {
  return VARIABLE_ENV_PREFIX + name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Set by `cdktf-keyfactor drift --fix` for its own terraform run: a JSON list of the instances it
 * replaces because what they put in place is gone (`<construct path>[<instance key>]`). Their
 * destroy step has nothing to remove and sends nothing; their create puts it back.
 */
export const REPAIR_ENV = 'CDKTF_KEYFACTOR_REPAIR';

/** The name `drift --fix` gives an instance in REPAIR_ENV. */
export function repairName(path: string, key: string | undefined): string {
  return `${path}[${key ?? ''}]`;
}

/** The configuration file cdktf synthesizes, in the directory Terraform runs in (and runs provisioners in). */
export const CONFIGURATION_FILE = 'cdk.tf.json';
