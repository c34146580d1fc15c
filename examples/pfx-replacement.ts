/**
 * PfxReplacement examples, against the simulator's default seed (ids hard-coded below).
 *
 * Apply-time environment: PFX_REPLACEMENT_PASSWORD (the password the new PFX was enrolled with).
 */
import { Construct } from 'constructs';
import { PfxReplacement, Secret } from '../src';

// Simulator default seed: certificate 2 ("app.example.test") is in store
// 11111111-1111-4111-8111-000000000002; certificate 1 ("www.example.test") is in stores
// 11111111-1111-4111-8111-000000000001 and 11111111-1111-4111-8111-000000000005, and the
// latter (legacy-01) is seeded to fail PFX replacement. Certificates 4 and 5 are new ones.
const APP_CERTIFICATE = 2;
const RENEWED_APP_CERTIFICATE = 4;
const WWW_CERTIFICATE = 1;
const RENEWED_WWW_CERTIFICATE = 5;

export function addPfxReplacementExamples(stack: Construct): void {
  // The renewed app certificate goes wherever the old one is installed, in the 25 November
  // maintenance window (23:30 UTC).
  new PfxReplacement(stack, 'renew-app-certificate', {
    existingCertificateId: APP_CERTIFICATE,
    certificateId: RENEWED_APP_CERTIFICATE,
    password: Secret.fromEnv('PFX_REPLACEMENT_PASSWORD'), // read at apply time, never synthesized
    jobTime: '2026-11-25T23:30:00Z',
  });

  // The renewed www certificate: the legacy store is known to reject replacements, so accept
  // a partial result (the apply succeeds with a warning naming the failed store).
  new PfxReplacement(stack, 'renew-www-certificate', {
    existingCertificateId: WWW_CERTIFICATE,
    certificateId: RENEWED_WWW_CERTIFICATE,
    password: Secret.fromEnv('PFX_REPLACEMENT_PASSWORD'),
    allowPartialSuccess: true,
  });
}
