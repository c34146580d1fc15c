/**
 * What an operation's drift rule (`src/operations/<operation>/drift.ts`) gets and answers:
 * `cdktf-keyfactor drift` hands it one carrier instance's spec, as Terraform state holds it.
 */
import type { LedgerRecord } from '../contract/ledger-record';
import type { SpecBase } from '../contract/spec';
import type { KeyfactorClient } from '../runtime/api/client';
import type { CommandView } from '../runtime/jobs/delivery';

export type Verdict = 'in-sync' | 'drift' | 'unverifiable' | 'not-checked';

export interface DriftContext {
  /** The stack's ledger, for messages. */
  readonly ledger: string;
  /** Made on first use: a stack with nothing to ask Command needs no connection settings. */
  client(): KeyfactorClient;
  /** Locations and newest jobs, each read once per drift run. */
  view(): CommandView;
  /** The newest succeeded create record of this instance (same spec hash, same origin) in the stack's ledger, if any. */
  record(spec: SpecBase): Promise<LedgerRecord | undefined>;
  /** `read()` once per drift run for each `key` (e.g. one listing per PAM provider). */
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
}

export interface Finding {
  readonly verdict: Verdict;
  readonly detail: string;
  /**
   * What repairs a drifted instance when re-running it cannot (`--fix` then leaves it alone).
   * @default - `--fix` replaces the instance (terraform apply -replace)
   */
  readonly fix?: string;
}

/** undefined: the instance is not reported on its own (another carrier of its construct is). */
export type DriftRule<S extends SpecBase = SpecBase> = (ctx: DriftContext, spec: S) => Promise<Finding | undefined>;
