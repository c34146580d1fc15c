import type { KeyfactorSchedule, SpecBase } from '../../contract/spec';

/** Waits, once per construct, for the jobs its carrier instances created in this apply. */
export interface JobWaitSpec extends SpecBase {
  readonly operation: 'JobWait';
  /** The operation whose jobs are awaited. */
  readonly of: string;
  /**
   * Terraform address of the carrier whose instances are awaited. Their keys and specs are read
   * at apply from the configuration (cdk.tf.json, or HCL), not carried here: a spec travels in one
   * environment variable, and Linux caps each at 128 KiB (about 740 stores' worth).
   */
  readonly carrier: string;
  /**
   * Instance key -> the instance's spec as Terraform evaluated it (JSON), for instances whose
   * spec holds references: their hash is computed at apply, as the instance's own run computes it.
   */
  readonly evaluated?: Record<string, string>;
  readonly schedule: KeyfactorSchedule;
}
