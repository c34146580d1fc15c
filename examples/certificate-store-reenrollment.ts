/**
 * CertificateStoreReenrollment examples, against the simulator's default seed (ids hard-coded
 * below). No secrets are needed at apply time.
 */
import { Construct } from 'constructs';
import { CertificateStoreReenrollment, SubjectAlternativeName } from '../src';

// Simulator default seed: store 1 (web-01, /etc/ssl/web-01.pem) is managed by orchestrator 1;
// store 3 (win-01, "My") by orchestrator 2.
const WEB_01_STORE = '11111111-1111-4111-8111-000000000001';
const WIN_01_STORE = '11111111-1111-4111-8111-000000000003';
const ORCHESTRATOR_1 = '22222222-2222-4222-8222-000000000001';
const ORCHESTRATOR_2 = '22222222-2222-4222-8222-000000000002';

export function addCertificateStoreReenrollmentExamples(stack: Construct): void {
  // New key generated on web-01 itself, certificate enrolled through enrollment pattern 1.
  new CertificateStoreReenrollment(stack, 'rekey-web-01', {
    keystoreId: WEB_01_STORE,
    agentGuid: ORCHESTRATOR_1,
    subjectName: 'CN=web-01.example.test,OU=IT,O="Key Example, Inc.",L=Austin,ST=Texas,C=US',
    alias: 'web-01-2026',
    enrollmentPatternId: 1,
    sans: [
      SubjectAlternativeName.dns('web-01.example.test'),
      SubjectAlternativeName.dns('www.example.test'),
      SubjectAlternativeName.ip4('10.20.0.11'),
    ],
    metadata: { Owner: 'web-team' },
    overwrite: true,
  });

  // A Windows machine certificate, with the key provider as an entry parameter.
  new CertificateStoreReenrollment(stack, 'rekey-win-01', {
    keystoreId: WIN_01_STORE,
    agentGuid: ORCHESTRATOR_2,
    subjectName: 'CN=win-01.corp.example.test,O=Example,C=US',
    alias: 'win-01',
    jobProperties: { ProviderName: 'Microsoft Software Key Storage Provider' },
    sans: [SubjectAlternativeName.dns('win-01.corp.example.test'), SubjectAlternativeName.upn('win-01$@corp.example.test')],
    ownerRoleName: 'Windows Admins',
  });
}
