/**
 * Example cdktf app using every construct against Keyfactor Command (or the bundled simulator:
 * `npx cdktf-keyfactor simulator`). The ids are the simulator's default seed.
 *
 * Apply-time environment (secrets are read by the runner, never synthesized):
 * API_KEYSTORE_ENTRY_PASSWORD, APP_01_KEYSTORE_PASSWORD, WEB_01_STORE_PASSWORD,
 * PFX_REPLACEMENT_PASSWORD.
 *
 *   cdktf deploy            # with cdktf-cli, using ../cdktf.json
 *   npm run demo            # starts the simulator, applies this app with terraform, destroys it
 */
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateDeployment, DayOfWeek, Schedule, Secret } from '../src';
import { addCertificateStorePasswordExamples } from './certificate-store-password';
import { addCertificateStoreReenrollmentExamples } from './certificate-store-reenrollment';
import { addPamLocalEntryExamples } from './pam-local-entry';
import { addPfxReplacementExamples } from './pfx-replacement';

export const STORES = {
  iisWeb1: '11111111-1111-4111-8111-000000000001',
  iisWeb2: '11111111-1111-4111-8111-000000000002',
  javaKeystore: '11111111-1111-4111-8111-000000000003',
};

/** Every example construct, in `scope` (a stack, or a construct in one). */
export function addExamples(scope: Construct): void {
  // The web certificate goes to both IIS servers, with its private key, now. (Not certificate 1:
  // pfx-replacement.ts replaces that one wherever it is, which would undo this deployment.)
  new CertificateDeployment(scope, 'web-certificate', {
    certificateId: 3,
    schedule: Schedule.immediate(),
    stores: [
      { certificateStoreId: STORES.iisWeb1, alias: 'www.example.com', includePrivateKey: true, overwrite: true },
      { certificateStoreId: STORES.iisWeb2, alias: 'www.example.com', includePrivateKey: true, overwrite: true },
    ],
  });

  // The API certificate goes into a Java keystore in Sunday's maintenance window; the
  // keystore entry password is read from the environment at apply time, never synthesized.
  new CertificateDeployment(scope, 'api-certificate', {
    certificateId: 2,
    schedule: Schedule.weekly([DayOfWeek.SUNDAY], '03:00'), // UTC
    stores: [
      {
        certificateStoreId: STORES.javaKeystore,
        alias: 'api',
        includePrivateKey: true,
        entryPassword: Secret.fromEnv('API_KEYSTORE_ENTRY_PASSWORD'),
      },
    ],
  });

  addCertificateStorePasswordExamples(scope);
  addPfxReplacementExamples(scope);
  addPamLocalEntryExamples(scope);
  addCertificateStoreReenrollmentExamples(scope);
}

export class KeyfactorExampleStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    addExamples(this);
  }
}

export function buildExample(app: App): TerraformStack {
  return new KeyfactorExampleStack(app, 'keyfactor-example');
}

if (require.main === module) {
  const app = new App();
  buildExample(app);
  app.synth();
}
