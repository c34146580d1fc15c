import type { SecretRef, SpecBase } from '../../contract/spec';

/**
 * What the PfxReplacement carrier hands the runner (no secret values: `password` is a reference).
 */
export interface PfxReplacementSpec extends SpecBase {
  readonly operation: 'PfxReplacement';
  readonly existingCertificateId: number;
  readonly certificateId?: number;
  readonly requestId?: number;
  readonly password?: SecretRef;
  readonly jobTime?: string;
  readonly allowPartialSuccess: boolean;
}
