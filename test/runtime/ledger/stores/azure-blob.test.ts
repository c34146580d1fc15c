/**
 * The Azure Blob Storage ledger store against a real Azurite blob service: the conformance tests,
 * every kind of credential and which one wins, SAS tokens kept out of every message, and the
 * bundled client.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as util from 'util';
import {
  AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, ContainerClient, ContainerSASPermissions,
  generateAccountSASQueryParameters, generateBlobSASQueryParameters, StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { storeConformance } from './conformance';
import type { AzureBlobLocation } from '../../../../src/contract/ledger-location';
import type { ObjectClient } from '../../../../src/runtime/ledger';
import { openClient } from '../../../../src/runtime/ledger/stores/azure-blob/client';
import type { Credentials } from '../../../../src/runtime/ledger/stores/configuration';
import { loadClientModule } from '../../../../src/runtime/ledger/stores/load';
import { failure } from '../../../support/runtime';
import { Azurite, startAzurite } from '../../../support/servers/azurite';
import { closedPort, startSilentServer } from '../../../support/servers/silent';

const CONTAINER = 'ledger';
let server: Azurite;

beforeAll(async () => {
  server = await startAzurite();
  await admin().create();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const sharedKey = () => new StorageSharedKeyCredential(server.account, server.key);
/** The harness's own view of the container (the ledger never creates one). */
const admin = (container = CONTAINER) => new ContainerClient(`${server.endpoint}/${container}`, sharedKey());

/** A fresh ledger (its own prefix) in the test container. */
const place = (over: Partial<AzureBlobLocation> = {}): AzureBlobLocation => ({
  type: 'azure-blob', account: server.account, container: CONTAINER, prefix: `t-${randomUUID()}`, endpoint: server.endpoint, ...over,
});

const open = (location: AzureBlobLocation, credentials: Credentials = { accessKey: server.key }, env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000) =>
  openClient(location, credentials, { timeoutMs, env });

const hour = () => new Date(Date.now() + 3600_000);
const accountSas = (permissions = 'racwdl') => generateAccountSASQueryParameters({
  expiresOn: hour(),
  permissions: AccountSASPermissions.parse(permissions),
  resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
  services: AccountSASServices.parse('b').toString(),
}, sharedKey()).toString();
const containerSas = (permissions = 'racwdl') => generateBlobSASQueryParameters({
  containerName: CONTAINER,
  expiresOn: hour(),
  permissions: ContainerSASPermissions.parse(permissions),
}, sharedKey()).toString();
const signatureOf = (sas: string) => new URLSearchParams(sas.replace(/^\?/, '')).get('sig')!;

/** Writes, lists and reads through `client`, and checks the blob where the ledger's prefix puts it. */
async function roundTrip(client: ObjectClient, location: AzureBlobLocation): Promise<void> {
  const body = `{"n":"${randomUUID()}"}`;
  try {
    await client.put('records/k/1.json', Buffer.from(body));
    await client.put('jobs/g', Buffer.from('r'));
    expect(await client.list('records/')).toEqual(['records/k/1.json']);
    expect((await client.list('')).sort()).toEqual(['jobs/g', 'records/k/1.json']);
    expect((await client.get('records/k/1.json'))!.toString()).toBe(body);
    const blob = admin(location.container).getBlobClient(`${location.prefix ? `${location.prefix}/` : ''}records/k/1.json`);
    expect((await blob.downloadToBuffer()).toString()).toBe(body);
    expect((await blob.getProperties()).contentType).toBe('application/json');
    await client.delete(['records/k/1.json', 'jobs/g']);
    expect(await client.list('')).toEqual([]);
  } finally {
    await client.close();
  }
}

/** Runs `call` with Entra ID's token endpoint (AZURE_AUTHORITY_HOST, read by @azure/identity) at a closed loopback port. */
async function withAuthorityAtClosedPort<T>(call: (port: number) => Promise<T>): Promise<T> {
  const before = process.env.AZURE_AUTHORITY_HOST;
  const port = await closedPort();
  process.env.AZURE_AUTHORITY_HOST = `https://127.0.0.1:${port}`;
  try {
    return await call(port);
  } finally {
    if (before === undefined) delete process.env.AZURE_AUTHORITY_HOST;
    else process.env.AZURE_AUTHORITY_HOST = before;
  }
}

/** Every form a failure could be shown or logged in. */
const everyForm = (e: Error) => [e.message, String(e.stack), util.inspect(e, { depth: 10 }), JSON.stringify(e), JSON.stringify(Object.getOwnPropertyNames(e).map((k) => (e as any)[k]))].join('\n');

storeConformance(() => ({
  type: 'azure-blob',
  open: (options) => open(place(), undefined, undefined, options?.timeoutMs),
  openMany: (n) => {
    const location = place();
    return Array.from({ length: n }, () => open(location));
  },
  openAt: (port, { timeoutMs }) => open(place({ endpoint: `http://127.0.0.1:${port}/${server.account}` }), undefined, undefined, timeoutMs),
  openWithBadCredentials: () => {
    const secret = randomBytes(64).toString('base64');
    return { client: open(place(), { accessKey: secret }), secret };
  },
  openMissing: () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    return { client: open(place({ container: missing })), missing };
  },
  unreachableHint: /endpoint/,
  credentialsHint: /AZURE_STORAGE_KEY|ARM_ACCESS_KEY/,
  missingHint: /does not exist/,
}));

describe('credentials', () => {
  const cases: Array<[string, () => { credentials?: Credentials; env?: NodeJS.ProcessEnv; location?: Partial<AzureBlobLocation> }]> = [
    ['an account key from the backend (credentials.accessKey)', () => ({ credentials: { accessKey: server.key } })],
    ['an account key from AZURE_STORAGE_KEY', () => ({ credentials: {}, env: { AZURE_STORAGE_KEY: server.key } })],
    ['an account key from ARM_ACCESS_KEY', () => ({ credentials: {}, env: { ARM_ACCESS_KEY: server.key } })],
    ['a connection string (credentials.connectionString)', () => ({ credentials: { connectionString: server.connectionString } })],
    ['a connection string from AZURE_STORAGE_CONNECTION_STRING', () => ({ credentials: {}, env: { AZURE_STORAGE_CONNECTION_STRING: server.connectionString } })],
    ['a connection string naming the endpoint, for a location without one', () => ({
      credentials: { connectionString: server.connectionString }, location: { endpoint: undefined },
    })],
    ['a connection string without BlobEndpoint: the location names the endpoint', () => ({
      credentials: {},
      env: { AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=${server.account};AccountKey=${server.key};EndpointSuffix=core.windows.net` },
    })],
    ['a SAS connection string', () => ({ credentials: {}, env: { AZURE_STORAGE_CONNECTION_STRING: `BlobEndpoint=${server.endpoint};SharedAccessSignature=${accountSas()}` } })],
    ['an account SAS (credentials.sasToken)', () => ({ credentials: { sasToken: accountSas() } })],
    ['an account SAS with a leading ? (credentials.sasToken)', () => ({ credentials: { sasToken: `?${accountSas()}` } })],
    ['an account SAS from AZURE_STORAGE_SAS_TOKEN', () => ({ credentials: {}, env: { AZURE_STORAGE_SAS_TOKEN: accountSas() } })],
    ['a container SAS from ARM_SAS_TOKEN', () => ({ credentials: {}, env: { ARM_SAS_TOKEN: containerSas() } })],
    ['a container SAS with a leading ? from AZURE_STORAGE_SAS_TOKEN', () => ({ credentials: {}, env: { AZURE_STORAGE_SAS_TOKEN: `?${containerSas()}` } })],
    ['blank credentials are unset (the environment\'s key is used)', () => ({ credentials: { accessKey: ' ', sasToken: '' }, env: { AZURE_STORAGE_KEY: server.key } })],
  ];
  test.each(cases)('%s: put, list, get, delete', async (_, make) => {
    const c = make();
    const location = place(c.location);
    await roundTrip(open(location, c.credentials, c.env), location);
  });

  test('a ledger at the container\'s top (prefix ""): names as they are', async () => {
    const container = `top-${randomUUID().slice(0, 8)}`;
    await admin(container).create();
    await roundTrip(open(place({ container, prefix: '' })), place({ container, prefix: '' }));
  });

  test('a read-only SAS: reads work, a write or delete names the permission it lacks, without the token', async () => {
    const sas = containerSas('rl');
    const location = place();
    await admin().getBlockBlobClient(`${location.prefix}/records/k/1.json`).upload('{}', 2);
    const c = open(location, { sasToken: sas });
    try {
      expect((await c.get('records/k/1.json'))!.toString()).toBe('{}');
      const put = await failure(c.put('records/k/2.json', Buffer.from('{}')));
      expect(put.name).toBe('LedgerStoreError');
      expect(put.message).toContain(c.location);
      expect(put.message).toMatch(/may not write records\/k\/2\.json \(AuthorizationPermissionMismatch\): it needs the create and write \(c, w\) permission/);
      expect(put.message).toMatch(/sp=racwdl.*"Storage Blob Data Contributor"/);
      const del = await failure(c.delete(['records/k/1.json']));
      expect(del.message).toMatch(/may not delete records\/k\/1\.json .*delete \(d\) permission/);
      for (const e of [put, del]) {
        expect(everyForm(e)).not.toContain(signatureOf(sas));
        expect(everyForm(e)).not.toContain(decodeURIComponent(signatureOf(sas)));
      }
    } finally {
      await c.close();
    }
  });

  test('an account SAS without the object resource type: says which resource types it needs', async () => {
    const sas = generateAccountSASQueryParameters({
      expiresOn: hour(), permissions: AccountSASPermissions.parse('racwdl'), resourceTypes: 'sc', services: 'b',
    }, sharedKey()).toString();
    const c = open(place(), { sasToken: sas });
    const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
    expect(e.message).toContain(c.location);
    expect(e.message).toMatch(/AuthorizationResourceTypeMismatch|refused the credentials/);
    expect(everyForm(e)).not.toContain(signatureOf(sas));
  });

  describe('which wins', () => {
    const wrong = () => randomBytes(64).toString('base64');

    test('the backend\'s key beats a wrong AZURE_STORAGE_KEY', async () => {
      const location = place();
      await roundTrip(open(location, { accessKey: server.key }, { AZURE_STORAGE_KEY: wrong() }), location);
    });

    test('a wrong backend key beats the right AZURE_STORAGE_KEY: refused, naming where the key came from', async () => {
      const secret = wrong();
      const c = open(place(), { accessKey: secret }, { AZURE_STORAGE_KEY: server.key });
      const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
      expect(e.message).toMatch(/refused the credentials \(AuthorizationFailure\): check the account key from the azurerm backend's access_key/);
      expect(everyForm(e)).not.toContain(secret.slice(0, 8));
    });

    test('any credential the ledger was given beats the environment: a backend SAS over a wrong AZURE_STORAGE_CONNECTION_STRING', async () => {
      const location = place();
      const env = { AZURE_STORAGE_CONNECTION_STRING: server.connectionString.replace(server.key, wrong()), AZURE_STORAGE_KEY: wrong() };
      await roundTrip(open(location, { sasToken: containerSas() }, env), location);
    });

    test('in the environment: a connection string before a key, a key before a SAS token, AZURE_STORAGE_KEY before ARM_ACCESS_KEY', async () => {
      const location = place();
      await roundTrip(open(location, {}, { AZURE_STORAGE_CONNECTION_STRING: server.connectionString, AZURE_STORAGE_KEY: wrong() }), location);
      await roundTrip(open(location, {}, { AZURE_STORAGE_KEY: server.key, AZURE_STORAGE_SAS_TOKEN: 'sv=2020-01-01&sig=wrong' }), location);
      await roundTrip(open(location, {}, { AZURE_STORAGE_KEY: server.key, ARM_ACCESS_KEY: wrong() }), location);
      const c = open(location, {}, { AZURE_STORAGE_KEY: wrong(), ARM_ACCESS_KEY: server.key });
      expect((await failure(c.get('x'))).message).toMatch(/check the account key from AZURE_STORAGE_KEY;/);
    });

    test('the ledger reads the variables it is given, not process.env', async () => {
      const before = process.env.AZURE_STORAGE_KEY;
      process.env.AZURE_STORAGE_KEY = server.key;
      try {
        const c = open(place(), {}, { AZURE_STORAGE_SAS_TOKEN: containerSas('rl') });
        expect((await failure(c.put('records/k/1.json', Buffer.from('{}')))).message).toMatch(/AuthorizationPermissionMismatch/);
      } finally {
        if (before === undefined) delete process.env.AZURE_STORAGE_KEY;
        else process.env.AZURE_STORAGE_KEY = before;
      }
    });
  });

  test('Entra ID (a service principal, else DefaultAzureCredential) is chosen without a key or SAS token; over http:// it says why not', async () => {
    const entra: Array<[Credentials, NodeJS.ProcessEnv]> = [
      [{}, {}],
      [{ clientId: 'c', clientSecret: 'not-a-real-secret-1', tenantId: 't' }, {}],
      [{}, { ARM_CLIENT_ID: 'c', ARM_CLIENT_SECRET: 'not-a-real-secret-2', ARM_TENANT_ID: 't' }],
    ];
    for (const [credentials, env] of entra) {
      const c = open(place(), credentials, env);
      const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
      expect(e.message).toContain(c.location);
      expect(e.message).toMatch(/has an http:\/\/ endpoint, where Entra ID tokens are not sent: use https:\/\/, or an account key \(AZURE_STORAGE_KEY\)/);
      expect(e.message).not.toMatch(/not-a-real-secret/);
    }
  });

  test('a malformed connection string: says so, without any part of it', async () => {
    const secret = randomBytes(64).toString('base64');
    const c = open(place(), { connectionString: `AccountName=${server.account};AccountKey=${secret}` });
    const e = await failure(c.get('x'));
    expect(e.message).toMatch(/the connection string from the ledger's own credentials \(connectionString\) cannot be used for the ledger store .*: Invalid .*DefaultEndpointsProtocol, AccountName, AccountKey/);
    expect(e.message).toContain(c.location);
    expect(everyForm(e)).not.toContain(secret.slice(0, 8));
  });
});

describe('a SAS token appears in no message', () => {
  const sas = () => `?${containerSas()}`;
  const check = (e: Error, token: string) => {
    const text = everyForm(e);
    expect(e.name).toBe('LedgerStoreError');
    expect(text).not.toContain(signatureOf(token));
    expect(text).not.toContain(decodeURIComponent(signatureOf(token)));
    expect(text).not.toContain(encodeURIComponent(signatureOf(token)));
    expect(text).not.toMatch(/sig=/);
    expect((e as { cause?: unknown }).cause).toBeUndefined();
  };

  test('a refused connection (the SDK\'s error holds the request URL with the token)', async () => {
    const token = sas();
    const c = open(place({ endpoint: `http://127.0.0.1:${await closedPort()}/${server.account}` }), { sasToken: token }, {}, 3000);
    const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
    expect(e.message).toMatch(/cannot reach the ledger store .* \(ECONNREFUSED 127\.0\.0\.1:\d+\): .*endpoint/);
    check(e, token);
  });

  test('a store that never answers, a wrong signature, a missing container, a missing account', async () => {
    const silent = await startSilentServer();
    try {
      const token = sas();
      const hung = open(place({ endpoint: `http://127.0.0.1:${silent.port}/${server.account}` }), { sasToken: token }, {}, 500);
      check(await failure(hung.list('')), token);
      const forged = token.replace(/sig=[^&]+/, `sig=${encodeURIComponent(randomBytes(32).toString('base64'))}`);
      const refused = await failure(open(place(), { sasToken: forged }).get('x'));
      expect(refused.message).toMatch(/refused the credentials \(AuthorizationFailure\): check the SAS token from the azurerm backend's sas_token .*signature, expiry/);
      check(refused, forged);
      const accountToken = accountSas();
      const missing = await failure(open(place({ container: 'nowhere' }), { sasToken: accountToken }).list(''));
      expect(missing.message).toMatch(/container "nowhere" does not exist in storage account devstoreaccount1: create it/);
      check(missing, accountToken);
      const account = await failure(open(place({ endpoint: `${server.endpoint}x` }), { sasToken: token }).get('x'));
      check(account, token);
    } finally {
      await silent.stop();
    }
  });
});

describe('the client', () => {
  test('touches no network until the first call', async () => {
    const silent = await startSilentServer();
    try {
      const connectionString = `DefaultEndpointsProtocol=https;AccountName=${server.account};AccountKey=${server.key};EndpointSuffix=core.windows.net`;
      const c = open(place({ endpoint: `http://127.0.0.1:${silent.port}/${server.account}` }), { connectionString }, {}, 300);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(silent.connections()).toBe(0);
      expect((await failure(c.get('x'))).message).toMatch(/did not answer within 0\.3s/);
      expect(silent.connections()).toBeGreaterThan(0);
    } finally {
      await silent.stop();
    }
  });

  test('close ends the calls under way', async () => {
    const silent = await startSilentServer();
    try {
      const c = open(place({ endpoint: `http://127.0.0.1:${silent.port}/${server.account}` }), undefined, undefined, 60_000);
      const started = Date.now();
      const pending = failure(c.get('x'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await c.close();
      const e = await pending;
      expect(Date.now() - started).toBeLessThan(3000);
      expect(e.message).toMatch(/was closed while a read of x was under way/);
    } finally {
      await silent.stop();
    }
  });

  test('a missing container, on reads and listings too', async () => {
    const c = open(place({ container: 'absent-container' }));
    for (const call of [() => c.get('jobs/x'), () => c.list('records/'), () => c.delete(['records/k/1.json'])]) {
      const e = await failure(call());
      expect(e.message).toContain(c.location);
      expect(e.message).toMatch(/container "absent-container" does not exist in storage account devstoreaccount1: create it .*CDKTF_KEYFACTOR_LEDGER/);
    }
  });
});

describe('the bundled client (bundle/runner/ledger-azure-blob.cjs)', () => {
  // Also where @azure/identity is tested past the http:// refusal: the client import()s it, which jest's VM cannot run.
  test('a round trip with a connection string, its errors named for the runner, and Entra ID loaded on the first token', async () => {
    const bundled = loadClientModule('azure-blob');
    const location = place();
    const options = { timeoutMs: 10_000, env: {} };
    await roundTrip(bundled.openClient(location, { connectionString: server.connectionString }, options), location);
    const missing = bundled.openClient(place({ container: 'absent-container' }), { connectionString: server.connectionString }, options);
    const e = await failure(missing.put('records/k/1.json', Buffer.from('{}')));
    expect(e.name).toBe('LedgerStoreError');
    expect(e.message).toMatch(/container "absent-container" does not exist/);
    // Entra ID loads @azure/identity inside the bundle on the first token.
    const entra = await withAuthorityAtClosedPort((port) => failure(bundled.openClient(place({ endpoint: `https://127.0.0.1:${port}/${server.account}` }),
      { clientId: 'c', clientSecret: 'not-a-real-secret-4', tenantId: 't' }, { timeoutMs: 20_000, env: {} }).get('x')));
    // Which @azure/identity error it is depends on how far its own retries got before the deadline.
    expect(entra.message).toMatch(/could not get an Entra ID token from the service principal of the azurerm backend's client_id.*\((CredentialUnavailableError|AuthenticationError|AuthenticationRequiredError)\)/);
    expect(everyForm(entra)).not.toMatch(/not-a-real-secret/);
  });
});
