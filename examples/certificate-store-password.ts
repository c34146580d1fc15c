/**
 * CertificateStorePassword examples, against the simulator's default seed (ids hard-coded below).
 *
 * Environment at apply time: APP_01_KEYSTORE_PASSWORD (the keystore password Command should keep).
 */
import { Construct } from 'constructs';
import { CertificateStorePassword, Secret } from '../src';

// Simulator default seed: store 2 is app-01's Java keystore (/opt/app/keystore.jks).
const APP_01_KEYSTORE = '11111111-1111-4111-8111-000000000002';

export function addCertificateStorePasswordExamples(stack: Construct): void {
  // Command's record of the keystore password, read from the environment at apply time. After
  // changing the password in the environment (or the vault behind it), bump rotationKey so the
  // next apply sends it again: the value itself is never in the configuration.
  new CertificateStorePassword(stack, 'app-01-keystore-password', {
    certStoreId: APP_01_KEYSTORE,
    newPassword: Secret.fromEnv('APP_01_KEYSTORE_PASSWORD'),
    rotationKey: '2026-01',
  });
}
