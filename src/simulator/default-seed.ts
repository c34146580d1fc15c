import type { SimulatorSeed } from './seed';

/** Orchestrator (agent) ids. */
const AGENT_1 = '22222222-2222-4222-8222-000000000001';
const AGENT_2 = '22222222-2222-4222-8222-000000000002';

/**
 * The seed used when none is given. Ids are fixed and readable so examples
 * and tests can refer to them:
 *
 * - Basic auth `KEYFACTOR\admin` / `simulator-password`; Bearer `simulator-token`.
 * - OAuth client `terraform` / `simulator-client-secret` (any scope, any audience)
 *   at POST /oauth2/token; its access tokens are accepted as Bearer.
 * - Stores 11111111-1111-4111-8111-00000000000N (N = 1..6): 4 always fails its
 *   jobs, 5 fails PFX replacement, 6 does not support reenrollment.
 * - Certificate 1 is in stores 1 and 5 (alias `www`); certificate 2 is in store 2
 *   (alias `app`); certificates 3..5 are in no store.
 * - PAM provider 1 is local; 2 is not.
 *
 * CertStoreType values are just plausible integers. // [INFER]
 */
export const DEFAULT_SEED: SimulatorSeed = {
  users: [
    { domain: 'KEYFACTOR', username: 'admin', password: 'simulator-password' },
    // Can read but not change anything: writes get 403.
    { domain: 'KEYFACTOR', username: 'auditor', password: 'simulator-auditor-password', readOnly: true },
  ],
  tokens: ['simulator-token'],
  orchestrators: [
    { AgentId: AGENT_1, ClientMachine: 'orchestrator-01.example.test' },
    { AgentId: AGENT_2, ClientMachine: 'orchestrator-02.example.test' },
  ],
  stores: [
    {
      Id: '11111111-1111-4111-8111-000000000001',
      ClientMachine: 'web-01.example.test',
      Storepath: '/etc/ssl/web-01.pem',
      AgentId: AGENT_1,
      CertStoreType: 2,
      DisplayName: 'Web 01 (PEM)',
    },
    {
      Id: '11111111-1111-4111-8111-000000000002',
      ClientMachine: 'app-01.example.test',
      Storepath: '/opt/app/keystore.jks',
      AgentId: AGENT_1,
      CertStoreType: 1,
      DisplayName: 'App 01 (JKS)',
    },
    {
      Id: '11111111-1111-4111-8111-000000000003',
      ClientMachine: 'win-01.example.test',
      Storepath: 'My',
      AgentId: AGENT_2,
      CertStoreType: 5,
      DisplayName: 'Windows 01 (Personal)',
    },
    {
      Id: '11111111-1111-4111-8111-000000000004',
      ClientMachine: 'broken-01.example.test',
      Storepath: '/etc/ssl/broken.pem',
      AgentId: AGENT_2,
      CertStoreType: 2,
      DisplayName: 'Broken 01 (every job fails)',
      failJobs: true,
    },
    {
      Id: '11111111-1111-4111-8111-000000000005',
      ClientMachine: 'legacy-01.example.test',
      Storepath: '/etc/ssl/legacy.pem',
      AgentId: AGENT_2,
      CertStoreType: 2,
      DisplayName: 'Legacy 01 (PFX replace fails)',
      failReplace: true,
    },
    {
      Id: '11111111-1111-4111-8111-000000000006',
      ClientMachine: 'lb-01.example.test',
      Storepath: '/Common',
      AgentId: AGENT_1,
      CertStoreType: 9,
      DisplayName: 'Load balancer 01 (no reenrollment)',
      reenrollmentSupported: false,
    },
    {
      // Letters in its GUID: a test that upper-cases a GUID of digits only proves nothing.
      Id: '5e7f0a11-cafe-4b11-8d11-0000000000ab',
      ClientMachine: 'mixed-01.example.test',
      Storepath: '/etc/ssl/mixed-01.pem',
      AgentId: AGENT_1,
      CertStoreType: 2,
      DisplayName: 'Mixed 01 (a GUID with letters)',
    },
  ],
  certificates: [
    {
      Id: 1,
      IssuedCN: 'www.example.test',
      Thumbprint: '1111111111111111111111111111111111111111',
      locations: [
        { storeId: '11111111-1111-4111-8111-000000000001', alias: 'www' },
        { storeId: '11111111-1111-4111-8111-000000000005', alias: 'www' },
      ],
    },
    {
      Id: 2,
      IssuedCN: 'app.example.test',
      Thumbprint: '2222222222222222222222222222222222222222',
      locations: [{ storeId: '11111111-1111-4111-8111-000000000002', alias: 'app' }],
    },
    { Id: 3, IssuedCN: 'api.example.test', Thumbprint: '3333333333333333333333333333333333333333' },
    { Id: 4, IssuedCN: 'mail.example.test', Thumbprint: '4444444444444444444444444444444444444444' },
    { Id: 5, IssuedCN: 'vpn.example.test', Thumbprint: '5555555555555555555555555555555555555555' },
  ],
  pamProviders: [
    { Id: 1, Name: 'Command Secret Provider', local: true },
    { Id: 2, Name: 'Remote Vault', local: false },
  ],
  oauthClients: [{ clientId: 'terraform', clientSecret: 'simulator-client-secret' }],
};
