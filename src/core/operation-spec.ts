/**
 * The contract between the synth half (constructs) and the apply half (runner).
 *
 * A construct renders one spec per carrier instance; the spec is stored, as JSON, in the
 * carrier's input/triggers (so it lands in Terraform state) and handed to the runner through
 * the provisioner environment. It must therefore never hold a secret: secret fields are
 * `SecretRef`s that the runner resolves at apply time.
 *
 * This module is imported by the runner bundle: keep it free of cdktf/constructs imports.
 */
import { createHash } from 'crypto';
import type { WaitSpec } from './wait';

/** Version of the spec format; the runner refuses specs it does not understand. */
export const SPEC_VERSION = 1;

/** Environment variable through which a provisioner hands the spec to the runner. */
export const SPEC_ENV = 'CDKTF_KEYFACTOR_SPEC';
/** Environment variable holding the ledger directory chosen at synth (relative to the stack dir). */
export const DEFAULT_LEDGER_ENV = 'CDKTF_KEYFACTOR_DEFAULT_LEDGER_DIR';
/** Default ledger directory, relative to where `cdktf synth` runs. */
export const DEFAULT_LEDGER_DIRECTORY = '.keyfactor-ledger';
/** Prefix of the provisioner environment variables that carry sensitive Terraform variables. */
export const VARIABLE_ENV_PREFIX = 'CDKTF_KEYFACTOR_VAR_';

/** The provisioner environment variable that carries Terraform variable `name`. */
export function variableEnvName(name: string): string {
  return VARIABLE_ENV_PREFIX + name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Every `variable` secret reference anywhere in a spec. */
export function variableRefs(spec: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(spec)) {spec.forEach((x) => variableRefs(x, found));} else if (spec && typeof spec === 'object') {
    const o = spec as Record<string, unknown>;
    if (o.source === 'variable' && typeof o.name === 'string') found.add(o.name);
    else Object.values(o).forEach((x) => variableRefs(x, found));
  }
  return found;
}

/** Environment variable a user sets at apply time to put the ledger elsewhere (wins over synth). */
export const LEDGER_ENV = 'KEYFACTOR_LEDGER_DIR';

/**
 * A reference to a secret. Never the secret itself: `env` is read by the runner at apply time;
 * `pam` is sent to Command as `{Provider, Parameters}` so Command fetches it from a PAM provider.
 */
export type SecretRef =
  | { readonly source: 'env'; readonly name: string }
  /** A sensitive Terraform variable, handed to the create provisioner as VARIABLE_ENV_PREFIX + name. */
  | { readonly source: 'variable'; readonly name: string }
  | { readonly source: 'pam'; readonly provider: number; readonly parameters: Record<string, string> };

export interface SpecBase {
  readonly v: number;
  readonly operation: string;
  /** Stack name. */
  readonly stack: string;
  /** Construct path, e.g. `my-stack/web-cert`. */
  readonly path: string;
  /** Carrier instance key when one construct renders several instances (for_each). */
  readonly key?: string;
  /**
   * How the runner waits for the jobs it creates. Not part of the spec's identity (hash):
   * changing it updates the carrier in place instead of re-running the operation.
   */
  readonly wait?: WaitSpec;
}

/** Keyfactor schedule, as the API takes it: exactly one member set. */
export type KeyfactorSchedule =
  | { Immediate: true }
  | { ExactlyOnce: { Time: string } }
  | { Interval: { Minutes: number } }
  | { Daily: { Time: string } }
  | { Weekly: { Days: number[]; Time: string } }
  | { Monthly: { Day: number; Time: string } };

export interface DeploymentStoreSpec {
  readonly certificateStoreId: string;
  readonly alias?: string;
  readonly includePrivateKey?: boolean;
  readonly overwrite?: boolean;
  readonly entryPassword?: SecretRef;
  readonly pfxPassword?: SecretRef;
  readonly jobFields?: Record<string, unknown>;
}

/** Waits, once per construct, for the jobs its carrier instances created in this apply. */
export interface JobWaitSpec extends SpecBase {
  readonly operation: 'JobWait';
  /** The operation whose jobs are awaited. */
  readonly of: string;
  /** Instance key -> spec hash of the instances whose newest create record holds the jobs. */
  readonly instances: Record<string, string>;
  /** Instance key -> Terraform address, for the "re-run with -replace" hint. */
  readonly addresses: Record<string, string>;
  readonly schedule: KeyfactorSchedule;
}

export interface CertificateDeploymentSpec extends SpecBase {
  readonly operation: 'CertificateDeployment';
  readonly certificateId: number;
  readonly store: DeploymentStoreSpec;
  readonly schedule: KeyfactorSchedule;
  readonly collectionId?: number;
  readonly removeOnDestroy: boolean;
}

export type OperationSpec = CertificateDeploymentSpec | JobWaitSpec;

/** JSON with object keys sorted, so equal specs always serialise (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Short, stable hash of a spec's identity: what the carrier's replacement trigger is made of.
 * Runtime options (`wait`) are left out, so changing them never re-runs an operation.
 */
export function specHash(spec: SpecBase): string {
  const { wait: _runtimeOnly, ...identity } = spec;
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}
