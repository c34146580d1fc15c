/**
 * The S3 ledger store's client (bundled with the AWS SDK as `ledger-s3.cjs`, loaded only when a
 * ledger lives in S3 or an S3-compatible server): objects under the location's prefix, every
 * request bounded by the ledger's time limit, every failure worded for the person who must fix it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LEDGER_TIMEOUT_ENV } from '../../../../contract/environment';
import { describeLocation, S3Location } from '../../../../contract/ledger-location';
import type { ObjectClient } from '../../objects';
import { LedgerStoreError } from '../../store';
import { Credentials, variable } from '../configuration';
import type { ClientOptions } from '../load';

type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;
type Operation = 'get' | 'put' | 'list' | 'delete';

/** Keys per DeleteObjects request (S3's limit), and such requests at once. */
const DELETE_BATCH = 1000;
const DELETE_CONCURRENCY = 4;
const DEFAULT_ROLE_SESSION_NAME = 'cdktf-keyfactor-ledger';
const ENDPOINT_SETTINGS = 'endpoint= in the URL, the backend\'s endpoints.s3, AWS_ENDPOINT_URL_S3';
const REGION_SETTINGS = 'region= in the URL, the backend\'s region, AWS_REGION';

/** The SDK warns through console.warn without a logger of our own: the runner prints nothing of the SDK's. */
const SILENT = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Errors of the network, before any answer of the server. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);
const TLS = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
/** What S3 answers to credentials it does not take. */
const REFUSED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidClientTokenId', 'UnrecognizedClientException']);
const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/** Where the credentials came from, for the message that says which to check. */
type CredentialSource = 'backend' | 'env' | 'chain';

/** A failure to get credentials (as opposed to S3 refusing them), with the SDK's error. */
class CredentialsUnavailable extends Error {
  constructor(readonly original: unknown) {
    super('credentials unavailable');
  }
}

export function openClient(location: S3Location, credentials: Credentials, options: ClientOptions): ObjectClient {
  return new S3ObjectClient(location, credentials, options);
}

class S3ObjectClient implements ObjectClient {
  readonly location: string;
  private readonly base: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private s3?: S3Client;
  private source: CredentialSource = 'chain';
  /** Credential look-ups under way: a call timing out during one is told as such. */
  private credentialCalls = 0;
  private closed = false;

  constructor(private readonly l: S3Location, private readonly credentials: Credentials, options: ClientOptions) {
    this.location = describeLocation(l);
    const prefix = l.prefix.replace(/^\/+|\/+$/g, '');
    this.base = prefix ? `${prefix}/` : '';
    this.env = options.env;
    this.timeoutMs = options.timeoutMs;
  }

  async get(name: string): Promise<Buffer | undefined> {
    return this.call('get', name, async (s3, signal) => {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: this.l.bucket, Key: this.base + name }), { abortSignal: signal });
        return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : Buffer.alloc(0);
      } catch (e) {
        if (errorName(e) === 'NoSuchKey') return undefined;
        throw e;
      }
    });
  }

  async put(name: string, data: Buffer): Promise<void> {
    await this.call('put', name, (s3, signal) => s3.send(new PutObjectCommand({
      Bucket: this.l.bucket, Key: this.base + name, Body: data, ContentType: 'application/json',
    }), { abortSignal: signal }));
  }

  async list(prefix: string): Promise<string[]> {
    return this.call('list', prefix, async (s3, signal) => {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const command = new ListObjectsV2Command({ Bucket: this.l.bucket, Prefix: this.base + prefix, ContinuationToken: token });
        const out = await s3.send(command, { abortSignal: signal });
        for (const o of out.Contents ?? []) {
          // Only the ledger's own objects, whatever a server answers.
          if (o.Key !== undefined && o.Key.startsWith(this.base + prefix)) names.push(o.Key.slice(this.base.length));
        }
        // A server that says "truncated" without a token would loop forever.
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return names;
    });
  }

  async delete(names: readonly string[]): Promise<void> {
    if (!names.length) return;
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += DELETE_BATCH) batches.push(names.slice(i, i + DELETE_BATCH));
    await this.call('delete', undefined, async (s3, signal) => {
      const failed: Array<{ name: string; code: string }> = [];
      let next = 0;
      const worker = async () => {
        while (next < batches.length) {
          const batch = batches[next++];
          const out = await s3.send(new DeleteObjectsCommand({
            Bucket: this.l.bucket,
            Delete: { Objects: batch.map((n) => ({ Key: this.base + n })), Quiet: true },
          }), { abortSignal: signal });
          for (const e of out.Errors ?? []) {
            // An absent object is deleted as far as the ledger is concerned.
            if (e.Code !== 'NoSuchKey') failed.push({ name: (e.Key ?? '').slice(this.base.length), code: e.Code ?? 'unknown error' });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, batches.length) }, worker));
      if (failed.length) {
        if (failed.some((f) => f.code === 'AccessDenied')) throw this.denied('delete', undefined, 'AccessDenied');
        throw new LedgerStoreError(`the ledger store ${this.location} could not delete ${failed.length} of ${names.length} objects ` +
          `(${failed[0].name}: ${failed[0].code}${failed.length > 1 ? ', ...' : ''}): check the bucket's settings (object lock, versioning policy) and try again.`);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.s3?.destroy();
    this.s3 = undefined;
  }

  /** One call, bounded by the time limit end to end (credentials, retries and every page included). */
  private async call<T>(op: Operation, name: string | undefined, work: (s3: S3Client, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.closed) throw new LedgerStoreError(`the ledger store ${this.location} was used after it was closed.`);
    const s3 = this.client();
    const abort = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // The SDK's abort signal does not reach every step (a credential provider, a retry's wait): the race does.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
        reject(new Error('timed out'));
      }, this.timeoutMs);
    });
    const running = work(s3, abort.signal);
    running.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } catch (e) {
      if (e instanceof LedgerStoreError) throw e;
      throw this.failure(e, op, name, timedOut);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The SDK client, made on the first call: constructing the store touches nothing. */
  private client(): S3Client {
    if (this.s3) return this.s3;
    // The SDK warns on stderr that later versions need node 22; the runner prints nothing of the SDK's.
    if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const region = this.region();
    const requestHandler = new NodeHttpHandler({ connectionTimeout: this.timeoutMs, requestTimeout: this.timeoutMs, throwOnRequestTimeout: true });
    this.s3 = new S3Client({
      region,
      endpoint: this.l.endpoint,
      forcePathStyle: this.l.usePathStyle === true,
      // A bucket in another region than the one named: AWS answers where it is, and the SDK follows.
      followRegionRedirects: this.l.endpoint === undefined,
      credentials: this.credentialProvider(region, requestHandler),
      requestHandler,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      logger: SILENT,
    });
    return this.s3;
  }

  private region(): string {
    const found = this.l.region ?? variable(this.env, 'AWS_REGION') ?? variable(this.env, 'AWS_DEFAULT_REGION') ??
      // An S3-compatible server ignores the region; the SDK only needs one to sign with.
      (this.l.endpoint !== undefined ? 'us-east-1' : undefined) ??
      profileRegion(this.env, this.l.profile ?? variable(this.env, 'AWS_PROFILE') ?? 'default');
    if (found === undefined) {
      throw new LedgerStoreError(`the ledger store ${this.location} has no AWS region: set it (${REGION_SETTINGS}, or the profile's region in ~/.aws/config).`);
    }
    return found;
  }

  /**
   * The first that applies: the backend's keys, the environment's keys (of options.env), the SDK's
   * chain (profile, SSO, web identity, container and instance roles); then the backend's role, if any.
   */
  private credentialProvider(region: string, requestHandler: NodeHttpHandler): CredentialProvider {
    const c = this.credentials;
    let base: CredentialProvider;
    if (c.accessKeyId && c.secretAccessKey) {
      this.source = 'backend';
      const keys = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
      base = async () => keys;
    } else if (!this.l.profile && variable(this.env, 'AWS_ACCESS_KEY_ID') && variable(this.env, 'AWS_SECRET_ACCESS_KEY')) {
      // A profile the URL or the backend names is a choice, as `--profile` is for the AWS CLI: it beats the environment's keys.
      this.source = 'env';
      const keys = { accessKeyId: this.env.AWS_ACCESS_KEY_ID!, secretAccessKey: this.env.AWS_SECRET_ACCESS_KEY!, sessionToken: variable(this.env, 'AWS_SESSION_TOKEN') };
      base = async () => keys;
    } else {
      this.source = 'chain';
      base = fromNodeProviderChain({ profile: this.l.profile ?? variable(this.env, 'AWS_PROFILE'), logger: SILENT });
    }
    const provider = c.roleArn ? fromTemporaryCredentials({
      masterCredentials: base,
      params: { RoleArn: c.roleArn, ExternalId: c.externalId, RoleSessionName: c.roleSessionName ?? DEFAULT_ROLE_SESSION_NAME },
      clientConfig: { region, requestHandler, logger: SILENT },
      logger: SILENT,
    }) : base;
    return async (properties) => {
      this.credentialCalls++;
      try {
        return await provider(properties);
      } catch (e) {
        throw new CredentialsUnavailable(e);
      } finally {
        this.credentialCalls--;
      }
    };
  }

  private failure(e: unknown, op: Operation, name: string | undefined, timedOut: boolean): LedgerStoreError {
    const loc = this.location;
    const code = errorName(e);
    if (timedOut || code === 'AbortError' || code === 'TimeoutError') {
      const limit = `${this.timeoutMs / 1000}s (${LEDGER_TIMEOUT_ENV})`;
      if (this.credentialCalls > 0) {
        return new LedgerStoreError(`the ledger store ${loc} did not get AWS credentials within ${limit}: check ${this.credentialHint()}.`);
      }
      return new LedgerStoreError(`the ledger store ${loc} did not answer within ${limit}: check that it is reachable from this machine (${ENDPOINT_SETTINGS}).`);
    }
    if (e instanceof CredentialsUnavailable) return this.credentialFailure(e.original);
    const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    // An answer of the server is never a socket error, whatever its words.
    const errno = status === undefined ? networkCode(e) : undefined;
    if (errno !== undefined && UNREACHABLE.has(errno)) {
      return new LedgerStoreError(`cannot reach the ledger store ${loc} (${errno} ${this.host(e)}): ` +
        `check that it runs and that this machine can reach it (${ENDPOINT_SETTINGS}${this.l.endpoint ? '' : `; the region: ${REGION_SETTINGS}`}).`);
    }
    if (errno !== undefined && TLS.test(errno)) {
      return new LedgerStoreError(`the ledger store ${loc} presented a TLS certificate this machine does not trust (${errno}): ` +
        `check the endpoint (${ENDPOINT_SETTINGS}) and, for a private certificate authority, NODE_EXTRA_CA_CERTS.`);
    }
    if (code === 'NoSuchBucket') {
      return new LedgerStoreError(`bucket "${this.l.bucket}" does not exist (ledger store ${loc}): ` +
        'create it, or name another ledger store (CDKTF_KEYFACTOR_LEDGER or KeyfactorDefaults ledger).');
    }
    if (REFUSED.has(code)) {
      return new LedgerStoreError(`the ledger store ${loc} refused the credentials (${code}): check ${this.credentialHint()}.`);
    }
    if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) return this.denied(op, name, code);
    if (WRONG_REGION.has(code)) {
      return new LedgerStoreError(`bucket "${this.l.bucket}" is not in the region the ledger store ${loc} names (${code}): set the bucket's region (${REGION_SETTINGS}).`);
    }
    const what = `could not ${verb(op)}${name ? ` ${name}` : ''}`;
    if (status !== undefined) {
      // The server's own words are not repeated: a misconfigured proxy may echo a request's headers.
      const hint = status >= 500 ? 'the server failed; try again later' : `check that the endpoint is an S3 service (${ENDPOINT_SETTINGS})`;
      return new LedgerStoreError(`the ledger store ${loc} ${what} (${code}, HTTP ${status}): ${hint}.`);
    }
    return new LedgerStoreError(`the ledger store ${loc} ${what}: ${this.redact(e instanceof Error ? e.message : String(e))}`);
  }

  private credentialFailure(original: unknown): LedgerStoreError {
    const loc = this.location;
    const code = errorName(original);
    const roleArn = this.credentials.roleArn;
    const message = original instanceof Error ? this.redact(original.message).slice(0, 300) : '';
    const errno = networkCode(original);
    if (roleArn && errno !== undefined && UNREACHABLE.has(errno)) {
      return new LedgerStoreError(`the ledger store ${loc} could not reach AWS STS to assume role ${roleArn} (${errno} ${hostOf(original) ?? 'STS'}): ` +
        'check that this machine can reach it (a proxy, the firewall).');
    }
    if (roleArn && (original as { $metadata?: unknown })?.$metadata !== undefined) {
      // STS answered: the base credentials were refused, or may not assume the role.
      return new LedgerStoreError(`the ledger store ${loc} could not assume role ${roleArn} (${code}): check that ${this.credentialHint(false)} ` +
        'are valid and may assume it (sts:AssumeRole, the role\'s trust policy, the backend\'s assume_role external_id).');
    }
    if (code === 'CredentialsProviderError' && /could not load credentials from any providers/i.test(message)) {
      return new LedgerStoreError(`the ledger store ${loc} found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
        'or AWS_PROFILE (or profile= in the URL), or the s3 backend\'s access_key and secret_key, or run where an instance or container role applies.');
    }
    return new LedgerStoreError(`the ledger store ${loc} could not get AWS credentials (${code}${message ? `: ${message}` : ''}): check ${this.credentialHint()}.`);
  }

  /** Which credentials to check, by where they came from. */
  private credentialHint(withRole = true): string {
    const role = withRole && this.credentials.roleArn ? `, and that they may assume role ${this.credentials.roleArn}` : '';
    switch (this.source) {
      case 'backend':
        return `the s3 backend's access_key and secret_key (used before AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)${role}`;
      case 'env':
        return `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)${role}`;
      case 'chain': {
        const profile = this.l.profile ?? variable(this.env, 'AWS_PROFILE');
        return `the AWS credentials the SDK found (${profile ? `profile ${profile}` : 'AWS_PROFILE, the default profile'}, SSO, web identity, ` +
          `instance or container role), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY${role}`;
      }
    }
  }

  private denied(op: Operation, name: string | undefined, code: string): LedgerStoreError {
    const objects = `arn:aws:s3:::${this.l.bucket}/${this.base}*`;
    const need = {
      // S3 answers AccessDenied instead of NoSuchKey for an absent object to whom may not list.
      get: `s3:GetObject on ${objects} (and s3:ListBucket on arn:aws:s3:::${this.l.bucket}, or an absent object is denied too)`,
      put: `s3:PutObject on ${objects}`,
      list: `s3:ListBucket on arn:aws:s3:::${this.l.bucket} for the prefix ${this.base || '(the whole bucket)'}`,
      delete: `s3:DeleteObject on ${objects}`,
    }[op];
    return new LedgerStoreError(`the ledger store ${this.location} denied the request to ${verb(op)}${name ? ` ${name}` : ''} (${code}): ` +
      `the credentials (${this.credentialHint()}) need ${need}; s3:GetObject, s3:PutObject, s3:ListBucket and s3:DeleteObject in all.`);
  }

  private host(e: unknown): string {
    return hostOf(e) ?? (this.l.endpoint ? new URL(this.l.endpoint).host : `S3 in ${this.l.region ?? 'the region'}`);
  }

  /** Secrets this client holds, out of any text it passes on. */
  private redact(text: string): string {
    const secrets = [this.credentials.secretAccessKey, this.credentials.sessionToken, this.credentials.externalId,
      this.env.AWS_SECRET_ACCESS_KEY, this.env.AWS_SESSION_TOKEN].filter((s): s is string => typeof s === 'string' && s.length >= 4);
    return secrets.reduce((t, s) => t.split(s).join('***'), text);
  }
}

function verb(op: Operation): string {
  return { get: 'read', put: 'write', list: 'list', delete: 'delete objects' }[op];
}

function errorName(e: unknown): string {
  if (e && typeof e === 'object') {
    const { name, Code } = e as { name?: unknown; Code?: unknown };
    if (typeof Code === 'string') return Code;
    if (typeof name === 'string') return name;
  }
  return 'Error';
}

/**
 * A socket error's code. The SDK wraps an error of another realm (node's own, under a test runner's
 * sandbox) in a plain Error whose message alone keeps it: `... Error: connect ECONNREFUSED 127.0.0.1:9`.
 */
function networkCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return /\b(E[A-Z]{3,}|(?:ERR_TLS|CERT|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)[A-Z_]*)\b/.exec(messageOf(e))?.[1];
}

/** The address a socket error names: its fields, else its message (`connect ECONNREFUSED 127.0.0.1:9`). */
function hostOf(e: unknown): string | undefined {
  const { address, port, hostname } = (e ?? {}) as { address?: unknown; port?: unknown; hostname?: unknown };
  if (typeof address === 'string') return typeof port === 'number' ? `${address}:${port}` : address;
  if (typeof hostname === 'string') return hostname;
  return /\bE[A-Z]+ (\[?[0-9A-Za-z.:-]+\]?(:\d+)?)(?=[\s,)]|$)/.exec(messageOf(e))?.[1];
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : typeof (e as { message?: unknown })?.message === 'string' ? (e as { message: string }).message : String(e);
}


/**
 * The region of `profile` in the shared credentials or config file, as the SDK reads it (the
 * credentials file first), but from options.env, and without asking instance metadata.
 */
function profileRegion(env: NodeJS.ProcessEnv, profile: string): string | undefined {
  const home = variable(env, 'HOME') ?? variable(env, 'USERPROFILE') ?? os.homedir();
  const credentialsFile = variable(env, 'AWS_SHARED_CREDENTIALS_FILE') ?? path.join(home, '.aws', 'credentials');
  const configFile = variable(env, 'AWS_CONFIG_FILE') ?? path.join(home, '.aws', 'config');
  return iniValue(credentialsFile, (s) => s === profile, 'region') ??
    iniValue(configFile, (s) => s === `profile ${profile}` || (profile === 'default' && s === 'default'), 'region');
}

function iniValue(file: string, isSection: (section: string) => boolean, key: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let inSection = false;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[\s*([^\]]*?)\s*\]/.exec(line);
    if (section) {
      inSection = isSection(section[1].replace(/\s+/g, ' '));
      continue;
    }
    // Indented lines are sub-settings (e.g. of s3 = ...), not the profile's own.
    const entry = /^([^\s=#;][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (inSection && entry && entry[1] === key && entry[2] !== '') return entry[2];
  }
  return undefined;
}
