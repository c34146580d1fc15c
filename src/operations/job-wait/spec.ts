import type { KeyfactorSchedule, SpecBase } from '../../contract/spec';

/** Waits, once per construct, for the jobs its carrier instances created in this apply. */
export interface JobWaitSpec extends SpecBase {
  readonly operation: 'JobWait';
  /** The operation whose jobs are awaited. */
  readonly of: string;
  /** Instance key -> spec hash of the instances whose newest create record holds the jobs. */
  readonly instances: Record<string, string>;
  /**
   * Instance key -> the instance's spec as Terraform evaluated it (JSON), for instances whose
   * spec holds references: their hash is computed at apply, as the instance's own run computes it.
   */
  readonly evaluated?: Record<string, string>;
  /** Instance key -> Terraform address, for the "re-run with -replace" hint. */
  readonly addresses: Record<string, string>;
  readonly schedule: KeyfactorSchedule;
}
