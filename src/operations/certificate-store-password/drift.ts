import type { CertificateStorePasswordSpec } from './spec';
import type { DriftRule } from '../../cli/drift-rule';

/** Command never returns a store password (only whether one is set), so nothing can be compared. */
export const storePasswordDrift: DriftRule<CertificateStorePasswordSpec> = async () =>
  ({ verdict: 'not-checked', detail: 'a store password cannot be read back through the API' });
