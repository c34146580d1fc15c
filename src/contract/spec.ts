/**
 * The contract between the synth half (constructs) and the apply half (runner): the JSON spec a
 * construct renders into its carrier and the runner executes.
 *
 * A spec lands in Terraform state (the carrier's input/triggers) and reaches the runner through
 * the provisioner environment, so it never holds a secret: secret fields are `SecretRef`s that
 * the runner resolves at apply time. Each operation's own spec extends `SpecBase`, in its folder
 * under `src/operations/`.
 */
import { createHash } from 'crypto';
import type { DeferredCheck } from './rules';

/** Version of the spec format; the runner refuses specs it does not understand. */
export const SPEC_VERSION = 1;

/**
 * A reference to a secret. Never the secret itself: `env` is read by the runner at apply time;
 * `pam` is sent to Command as `{Provider, Parameters}` so Command fetches it from a PAM provider.
 */
export type SecretRef =
  | { readonly source: 'env'; readonly name: string }
  /** A sensitive Terraform variable, handed to the create provisioner as VARIABLE_ENV_PREFIX + name. */
  | { readonly source: 'variable'; readonly name: string }
  | { readonly source: 'pam'; readonly provider: number; readonly parameters: Record<string, string> };

/** What the runner does after Command accepted a job-creating request. */
export type WaitSpec =
  | { readonly mode: 'none' }
  | {
    readonly mode: 'completion';
    readonly timeoutSeconds: number;
    readonly pollIntervalSeconds: number;
    /** Also wait until an inventory of each store shows the certificate (absent: jobs only). */
    readonly verifyDelivery?: true;
  };

export const DEFAULT_WAIT_TIMEOUT_SECONDS = 600;
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;

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
  /**
   * Props that were Terraform references at synth: the runner checks their evaluated values
   * before sending anything. Absent when every prop was literal.
   */
  readonly checks?: readonly DeferredCheck[];
}

/** Keyfactor schedule, as the API takes it: exactly one member set. */
export type KeyfactorSchedule =
  | { Immediate: true }
  | { ExactlyOnce: { Time: string } }
  | { Interval: { Minutes: number } }
  | { Daily: { Time: string } }
  | { Weekly: { Days: number[]; Time: string } }
  | { Monthly: { Day: number; Time: string } };

/** JSON with object keys sorted, so equal specs always serialise (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // An undefined value stays undefined here, and JSON.stringify leaves it out.
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
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

/** `Operation path [key]`: how a spec is named in logs and messages. */
export function specLabel(spec: SpecBase): string {
  return `${spec.operation} ${spec.path}${spec.key ? ` [${spec.key}]` : ''}`;
}
