import type { SecretRef, SpecBase } from '../../contract/spec';

/**
 * The carriers' spec for PamLocalEntry (no secret: `secretValue` is a reference).
 *
 * One construct renders two carriers, told apart by `part`: the *entry* carrier owns the
 * entry's existence (creates it, deletes it on destroy; one instance keyed by provider and
 * name), the *content* carrier writes the record (description and value) and is replaced
 * whenever any of it changes.
 */
export interface PamLocalEntrySpec extends SpecBase {
  readonly operation: 'PamLocalEntry';
  /** Entry part: its instance key (`<providerId>/<secret name, lower case>`); content part: `content`. */
  readonly key: string;
  readonly part: 'entry' | 'content';
  readonly providerId: number;
  readonly secretName: string;
  readonly description?: string;
  readonly secretValue: SecretRef;
  /** Content part only: changing it makes the next apply write the value again. */
  readonly rotationKey?: string;
}
