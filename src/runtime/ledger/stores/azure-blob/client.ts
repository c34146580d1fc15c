/**
 * The Azure Blob Storage client of the ledger: one block blob per object, below the location's
 * prefix in its container. The container must exist (the ledger never creates one, as Terraform's
 * azurerm backend does not). Credentials, first that is set: those the ledger was given (the
 * azurerm backend's), then the environment; of each, a connection string, an account key, a SAS
 * token, an Entra ID identity; else DefaultAzureCredential.
 */
import type { TokenCredential } from '@azure/identity';
// The SDK is bundled into ledger-azure-blob.cjs (see build-tools/bundle-runner.mjs), not a runtime dependency.
import { AnonymousCredential, BlobServiceClient, ContainerClient, StoragePipelineOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import { LEDGER_TIMEOUT_ENV } from '../../../../contract/environment';
import { AzureBlobLocation, describeLocation } from '../../../../contract/ledger-location';
import type { ObjectClient } from '../../objects';
import { LedgerStoreError } from '../../store';
import type { Credentials } from '../configuration';
import type { ClientOptions } from '../load';

/** Deletions in flight at once. */
const DELETE_CONCURRENCY = 16;

/** Few, short retries: every call must end within the ledger's time limit, retries included. */
const PIPELINE: StoragePipelineOptions = { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } };


/** Every way the ledger can authenticate, for messages (the first that is set is used). */
const CHAIN = 'the azurerm backend\'s access_key, sas_token or Entra ID settings, else AZURE_STORAGE_CONNECTION_STRING, ' +
  'an account key (AZURE_STORAGE_KEY or ARM_ACCESS_KEY), a SAS token (AZURE_STORAGE_SAS_TOKEN or ARM_SAS_TOKEN), ' +
  'else an Entra ID identity (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, ARM_CLIENT_ID/ARM_CLIENT_SECRET/ARM_TENANT_ID, ' +
  'a managed identity or az login) with the "Storage Blob Data Contributor" role on the container';

type Operation = 'read' | 'write' | 'list' | 'delete';

/** The permission each operation needs: SAS letters, and in words. */
const NEEDS: Record<Operation, string> = {
  read: 'read (r)',
  write: 'create and write (c, w)',
  list: 'list (l)',
  delete: 'delete (d)',
};

/** How the client authenticates: `source` names where the secret came from (never the secret). */
type Auth =
  | { readonly kind: 'connection string' | 'account key' | 'SAS token'; readonly source: string; readonly secret: string }
  | { readonly kind: 'Entra ID'; readonly source: string; readonly token: TokenCredential };

/** A value, unset when blank. */
const given = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * A token credential that loads @azure/identity on its first token (most ledgers use a key or SAS
 * token; an import(), unlike require(), shares the SDK's ESM core modules in the bundle).
 */
function lazyToken(make: (identity: Identity) => TokenCredential): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    getToken: async (scopes, options) => (await (credential ??= loadIdentity().then(make))).getToken(scopes, options),
  };
}

const loadIdentity = () => import('@azure/identity');
type Identity = Awaited<ReturnType<typeof loadIdentity>>;

/** The first of `names` set in `env`, with its name. */
function fromEnv(env: NodeJS.ProcessEnv, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = given(env[name]);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/**
 * The credential to use: those the ledger was given (the azurerm backend's, which fold in the
 * ARM_* variables) before the environment's, so an unrelated AZURE_STORAGE_* variable never
 * overrides the backend's own access.
 */
function chooseAuth(credentials: Credentials, env: NodeJS.ProcessEnv): Auth {
  const c = (name: string) => given(credentials[name]);
  const secretCredential = (tenantId: string, clientId: string, clientSecret: string) =>
    lazyToken((identity) => new identity.ClientSecretCredential(tenantId, clientId, clientSecret));

  const cs = c('connectionString');
  if (cs) return { kind: 'connection string', source: 'the ledger\'s own credentials (connectionString)', secret: cs };
  const key = c('accessKey');
  if (key) return { kind: 'account key', source: 'the azurerm backend\'s access_key (or ARM_ACCESS_KEY)', secret: key };
  const sas = c('sasToken');
  if (sas) return { kind: 'SAS token', source: 'the azurerm backend\'s sas_token (or ARM_SAS_TOKEN)', secret: sas };
  const [clientId, clientSecret, tenantId] = [c('clientId'), c('clientSecret'), c('tenantId')];
  if (clientId && clientSecret && tenantId) {
    return {
      kind: 'Entra ID',
      source: 'the service principal of the azurerm backend\'s client_id, client_secret and tenant_id (or ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID)',
      token: secretCredential(tenantId, clientId, clientSecret),
    };
  }
  if (c('useMsi') === 'true') {
    return {
      kind: 'Entra ID',
      source: `the managed identity${clientId ? ` with client id ${clientId}` : ''} (the azurerm backend's use_msi or ARM_USE_MSI)`,
      token: lazyToken((identity) => new identity.ManagedIdentityCredential(clientId ? { clientId } : {})),
    };
  }

  const envCs = fromEnv(env, 'AZURE_STORAGE_CONNECTION_STRING');
  if (envCs) return { kind: 'connection string', source: envCs.name, secret: envCs.value };
  const envKey = fromEnv(env, 'AZURE_STORAGE_KEY', 'ARM_ACCESS_KEY');
  if (envKey) return { kind: 'account key', source: envKey.name, secret: envKey.value };
  const envSas = fromEnv(env, 'AZURE_STORAGE_SAS_TOKEN', 'ARM_SAS_TOKEN');
  if (envSas) return { kind: 'SAS token', source: envSas.name, secret: envSas.value };
  for (const p of ['AZURE', 'ARM']) {
    const [id, secret, tenant] = [`${p}_CLIENT_ID`, `${p}_CLIENT_SECRET`, `${p}_TENANT_ID`].map((n) => given(env[n]));
    if (id && secret && tenant) {
      return { kind: 'Entra ID', source: `the service principal of ${p}_CLIENT_ID, ${p}_CLIENT_SECRET and ${p}_TENANT_ID`, token: secretCredential(tenant, id, secret) };
    }
  }
  return {
    kind: 'Entra ID',
    source: 'DefaultAzureCredential (environment, workload identity, managed identity, az login)',
    token: lazyToken((identity) => new identity.DefaultAzureCredential()),
  };
}

/** Without a query: an endpoint as messages may show it. */
function bare(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    return '(an invalid URL)';
  }
}

/** The container's client and the endpoint it talks to (never with a query: a SAS token lives there). */
function containerOf(location: AzureBlobLocation, auth: Auth): { container: ContainerClient; endpoint: string } {
  const base = (location.endpoint ?? `https://${location.account}.blob.core.windows.net`).replace(/\/+$/, '');
  const url = `${base}/${encodeURIComponent(location.container)}`;
  switch (auth.kind) {
    case 'connection string': {
      const service = BlobServiceClient.fromConnectionString(auth.secret, PIPELINE);
      // Its BlobEndpoint wins; else the location's endpoint, else the one it derives (AccountName, EndpointSuffix).
      const names = /^\s*UseDevelopmentStorage\s*=\s*true/i.test(auth.secret) || /(^|;)\s*BlobEndpoint\s*=/i.test(auth.secret);
      if (names || !location.endpoint) return { container: service.getContainerClient(location.container), endpoint: bare(service.url) };
      return { container: new ContainerClient(url, service.credential, PIPELINE), endpoint: base };
    }
    case 'account key':
      return { container: new ContainerClient(url, new StorageSharedKeyCredential(location.account, auth.secret), PIPELINE), endpoint: base };
    case 'SAS token':
      return { container: new ContainerClient(`${url}?${auth.secret.replace(/^\?/, '')}`, new AnonymousCredential(), PIPELINE), endpoint: base };
    case 'Entra ID':
      return { container: new ContainerClient(url, auth.token, PIPELINE), endpoint: base };
  }
}

const SECRET_VARIABLES = [
  'AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_KEY', 'ARM_ACCESS_KEY', 'AZURE_STORAGE_SAS_TOKEN', 'ARM_SAS_TOKEN', 'AZURE_CLIENT_SECRET', 'ARM_CLIENT_SECRET',
];

/** Each secret and each secret part of one (an AccountKey, a SAS signature), to strip from any text a message takes in. */
function secretsOf(auth: Auth, credentials: Credentials, env: NodeJS.ProcessEnv): string[] {
  const whole = [
    credentials.connectionString, credentials.accessKey, credentials.sasToken, credentials.clientSecret, auth.kind === 'Entra ID' ? undefined : auth.secret,
    ...SECRET_VARIABLES.map((n) => env[n]),
  ].filter((v): v is string => !!v && v.trim() !== '');
  const parts = whole.flatMap((s) => [...s.matchAll(/(?:AccountKey|SharedAccessSignature|sig)=([^;&\s]+)/gi)].map((m) => m[1]));
  return [...new Set([...whole, ...parts, ...parts.map(safeDecode)])].filter((p) => p.length >= 6).sort((a, b) => b.length - a.length);
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (stream) for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Error fields of the SDK's RestError and node's network errors. */
interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly statusCode?: number;
  readonly details?: { readonly errorCode?: string };
}

/** Failures before any answer: the store is down, unreachable or misnamed. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EPIPE', 'EADDRNOTAVAIL']);
const TLS = /CERT|TLS|SSL|SELF_SIGNED/;
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

export function openClient(location: AzureBlobLocation, credentials: Credentials, options: ClientOptions): ObjectClient {
  const where = describeLocation(location);
  const seconds = `${options.timeoutMs / 1000}s`;
  const auth = chooseAuth(credentials, options.env);
  const secrets = secretsOf(auth, credentials, options.env);
  const pending = new Set<AbortController>();
  let made: { container: ContainerClient; endpoint: string } | undefined;

  const key = (name: string) => (location.prefix ? `${location.prefix}/${name}` : name);

  /** Strips anything secret from text the client did not write itself. */
  const scrub = (text: string) => {
    let out = text;
    for (const s of secrets) out = out.split(s).join('[redacted]');
    return out.replace(/(sig|AccountKey|SharedAccessSignature)=[^&;\s]+/gi, '$1=[redacted]').split('\n')[0];
  };

  const endpointHint = () => `check that it runs and that this machine can reach it (the endpoint ${made?.endpoint ?? location.endpoint ?? `of account ${location.account}`}: ` +
    'endpoint= in CDKTF_KEYFACTOR_LEDGER, the BlobEndpoint of a connection string, or the azurerm backend\'s storage_account_name and environment)';

  const host = () => {
    try {
      return made ? ` ${new URL(made.endpoint).host}` : '';
    } catch {
      return '';
    }
  };

  /** The LedgerStoreError for `e`, from codes and the client's own words only (never the server's text). */
  const failure = (e: unknown, op: Operation, target: string, timedOut: boolean, closed: boolean): LedgerStoreError => {
    const err = (e ?? {}) as SdkError;
    const code = err.code ?? err.details?.errorCode;
    const status = err.statusCode;
    const what = `${op} ${target}`;
    const say = (text: string) => new LedgerStoreError(scrub(text));
    if (timedOut) return say(`the ledger store ${where} did not answer within ${seconds} (${LEDGER_TIMEOUT_ENV}): check that it is reachable from this machine.`);
    if (closed) return say(`the ledger store ${where} was closed while a ${op} of ${target} was under way.`);
    if (code === 'EPROTO') {
      return say(`the ledger store ${where} did not speak TLS as expected (EPROTO${host()}): check that the endpoint's scheme (http:// or https://) is the one it serves.`);
    }
    if (code && TLS.test(code)) {
      return say(`the ledger store ${where} presented a certificate this machine does not trust (${code}): check the endpoint, and NODE_EXTRA_CA_CERTS for a private CA.`);
    }
    if (status === undefined && code && UNREACHABLE.has(code)) {
      return say(`cannot reach the ledger store ${where} (${code}${host()}): ${endpointHint()}.`);
    }
    if (/Bearer token authentication is not permitted/i.test(err.message ?? '')) {
      return say(`the ledger store ${where} has an http:// endpoint, where Entra ID tokens are not sent: use https://, or an account key (AZURE_STORAGE_KEY) or SAS token (AZURE_STORAGE_SAS_TOKEN).`);
    }
    if (err.name && CREDENTIAL_ERRORS.has(err.name)) {
      return say(`the ledger store ${where} could not get an Entra ID token from ${auth.source} (${err.name}): check that identity, or set one of ${CHAIN}.`);
    }
    if (status === 404 && code === 'ContainerNotFound') {
      return say(`the ledger store ${where} cannot be used: container "${location.container}" does not exist in storage account ${location.account}: ` +
        `create it (az storage container create --account-name ${location.account} --name ${location.container}), ` +
        'or name another ledger store (CDKTF_KEYFACTOR_LEDGER or KeyfactorDefaults ledger).');
    }
    if (status === 404 && (code === 'ResourceNotFound' || code === 'AccountNotFound')) {
      return say(`the ledger store ${where} has no storage account ${location.account} (${code}): check the account name and the endpoint (endpoint= in CDKTF_KEYFACTOR_LEDGER).`);
    }
    if (status === 403 && code === 'AuthorizationPermissionMismatch') {
      return say(`the credentials of the ledger store ${where} (${auth.kind} from ${auth.source}) may not ${what} (${code}): ` +
        `it needs the ${NEEDS[op]} permission; the ledger needs read, add, create, write, delete and list ` +
        '(a SAS token with sp=racwdl, or the "Storage Blob Data Contributor" role for an Entra ID identity).');
    }
    if (status === 403 && code === 'AuthorizationResourceTypeMismatch') {
      return say(`the SAS token of the ledger store ${where} (from ${auth.source}) does not cover containers and blobs (${code}): ` +
        'an account SAS needs srt=co (or use a container SAS with sp=racwdl).');
    }
    if (status === 401 || status === 403) {
      return say(`the ledger store ${where} refused the credentials (${code ?? `HTTP ${status}`}): check the ${auth.kind} from ${auth.source}` +
        `${auth.kind === 'SAS token' ? ' (its signature, expiry and allowed IP addresses)' : ''}; the ledger uses, first that is set: ${CHAIN}.`);
    }
    if (status !== undefined) return say(`the ledger store ${where} could not ${what} (HTTP ${status}${code ? ` ${code}` : ''}).`);
    const name = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
    return say(`the ledger store ${where} could not ${what}: ${name}${typeof err.message === 'string' ? err.message : String(e)}.`);
  };

  /** The container's client, made on the first call (making it touches no network, but can refuse a malformed connection string). */
  const container = (): ContainerClient => {
    try {
      made ??= containerOf(location, auth);
      return made.container;
    } catch (e) {
      const form = auth.kind === 'connection string'
        ? ' (one with a key holds DefaultEndpointsProtocol, AccountName, AccountKey and BlobEndpoint or EndpointSuffix; one with a SAS token BlobEndpoint and SharedAccessSignature)'
        : '';
      throw new LedgerStoreError(scrub(`the ${auth.kind} from ${auth.source} cannot be used for the ledger store ${where}: ${e instanceof Error ? e.message : String(e)}${form}.`));
    }
  };

  /** Runs `call` with an abort signal that fires after timeoutMs (retries included) or on close. */
  const bounded = async <T>(op: Operation, target: string, call: (c: ContainerClient, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    pending.add(controller);
    // Also ends the call should a part of the SDK (a credential's token request) not heed the signal.
    const aborted = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    try {
      return await Promise.race([call(container(), controller.signal), aborted]);
    } catch (e) {
      if (e instanceof LedgerStoreError) throw e;
      throw failure(e, op, target, timedOut, !timedOut && controller.signal.aborted);
    } finally {
      clearTimeout(timer);
      pending.delete(controller);
    }
  };

  const isBlobNotFound = (e: unknown) => {
    const err = e as SdkError;
    return err?.statusCode === 404 && (err.code ?? err.details?.errorCode) === 'BlobNotFound';
  };

  return {
    location: where,

    get: (name) => bounded('read', name, async (c, abortSignal) => {
      try {
        // One GET (downloadToBuffer asks for the length first: a write in between would cut the object short).
        const response = await c.getBlobClient(key(name)).download(0, undefined, { abortSignal });
        return await readAll(response.readableStreamBody);
      } catch (e) {
        if (isBlobNotFound(e)) return undefined;
        throw e;
      }
    }),

    put: (name, data) => bounded('write', name, async (c, abortSignal) => {
      // One Put Blob request: the whole object or nothing.
      await c.getBlockBlobClient(key(name)).upload(data, data.length, {
        abortSignal,
        blobHTTPHeaders: { blobContentType: name.endsWith('.json') ? 'application/json' : 'text/plain' },
      });
    }),

    list: (prefix) => bounded('list', `the objects under "${prefix}"`, async (c, abortSignal) => {
      const full = key(prefix);
      const strip = location.prefix ? location.prefix.length + 1 : 0;
      const names: string[] = [];
      for await (const page of c.listBlobsFlat({ prefix: full || undefined, abortSignal }).byPage({ maxPageSize: 5000 })) {
        for (const blob of page.segment.blobItems) names.push(blob.name.slice(strip));
      }
      return names;
    }),

    delete: async (names) => {
      let next = 0;
      let failed = false;
      const worker = async () => {
        while (!failed && next < names.length) {
          const name = names[next++];
          try {
            await bounded('delete', name, (c, abortSignal) => c.getBlobClient(key(name)).deleteIfExists({ abortSignal }));
          } catch (e) {
            failed = true;
            throw e;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, names.length) }, worker));
    },

    close: async () => {
      // Nothing to release but calls still under way (idle keep-alive sockets do not hold the process).
      pending.forEach((c) => c.abort());
    },
  };
}
