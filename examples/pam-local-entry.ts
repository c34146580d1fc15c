/**
 * PamLocalEntry examples, against the simulator's default seed (ids hard-coded below).
 *
 * Environment at apply time: WEB_01_STORE_PASSWORD (the value stored in the local PAM provider).
 */
import { Construct } from 'constructs';
import { CertificateStorePassword, PamLocalEntry, Secret } from '../src';

// Simulator default seed: PAM provider 1 is local ("Command Secret Provider"); store 1 is
// web-01's PEM store (/etc/ssl/web-01.pem).
const LOCAL_PAM_PROVIDER = 1;
const WEB_01_STORE = '11111111-1111-4111-8111-000000000001';

export function addPamLocalEntryExamples(stack: Construct): void {
  // The store password lives in Command's own secret provider. Changing the description
  // updates it in place; bump rotationKey after changing the value in the environment.
  const entry = new PamLocalEntry(stack, 'web-01-store-password-secret', {
    providerId: LOCAL_PAM_PROVIDER,
    secretName: 'web-01-store-password',
    description: 'PEM store password of web-01 (managed by cdktf)',
    secretValue: Secret.fromEnv('WEB_01_STORE_PASSWORD'),
    rotationKey: '2026-01',
  });

  // web-01's store then takes its password from that provider: Command looks it up itself, so
  // this construct synthesizes only the provider id and the lookup parameters.
  // The parameter names are those of the provider type; check them in Command.
  // dependsOn: point the store at the secret only once the secret holds its current value.
  new CertificateStorePassword(stack, 'web-01-store-password', {
    certStoreId: WEB_01_STORE,
    newPassword: Secret.fromPamProvider(LOCAL_PAM_PROVIDER, { SecretName: entry.secretName }),
    dependsOn: [entry],
  });
}
