import type { SecretRef, SpecBase } from '../../contract/spec';

/**
 * The carrier's spec for CertificateStorePassword (no secret: `newPassword` is a reference).
 */
export interface CertificateStorePasswordSpec extends SpecBase {
  readonly operation: 'CertificateStorePassword';
  /** The store's GUID, lower-cased (`CertStoreId`). */
  readonly certStoreId: string;
  /** Where the new password comes from (`NewPassword`). */
  readonly newPassword: SecretRef;
  /** Changing it makes the next apply send the password again. */
  readonly rotationKey?: string;
}
