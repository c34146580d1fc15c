/**
 * Where a ledger is kept, without any credential: what a stack chooses at synth (rendered as a URL
 * into the provisioner environment), what the `CDKTF_KEYFACTOR_LEDGER` URL names, and what the
 * runner derives from the stack's Terraform backend. Credentials never travel in it: each store
 * takes them from the environment and its cloud's standard chain at apply time.
 */

/** A directory on the machine that runs the apply (today's default). */
export interface DirectoryLocation {
  readonly type: 'directory';
  /** Absolute, or relative to the stack directory Terraform runs provisioners in. */
  readonly path: string;
}

/** An S3 bucket (or an S3-compatible server), one object per record under `prefix`. */
export interface S3Location {
  readonly type: 's3';
  readonly bucket: string;
  /** Object name prefix, without leading or trailing slash ('' for the bucket's top). */
  readonly prefix: string;
  readonly region?: string;
  /** e.g. `https://minio.example.com:9000`; default: AWS's endpoint for the region. */
  readonly endpoint?: string;
  /** Path-style requests (`endpoint/bucket/key`), as S3-compatible servers often need. */
  readonly usePathStyle?: boolean;
  /** A named profile of the shared AWS config and credentials files. */
  readonly profile?: string;
}

/** An Azure Blob Storage container, one blob per record under `prefix`. */
export interface AzureBlobLocation {
  readonly type: 'azure-blob';
  readonly account: string;
  readonly container: string;
  readonly prefix: string;
  /** The account's blob endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1` (Azurite); default `https://<account>.blob.core.windows.net`. */
  readonly endpoint?: string;
}

/** A PostgreSQL table, one row per record. Unset connection fields come from PG* variables, as in libpq. */
export interface PostgresLocation {
  readonly type: 'postgres';
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly schema: string;
  readonly table: string;
  /** libpq's sslmode: disable, prefer, require, verify-ca, verify-full. */
  readonly sslMode?: string;
}

export type LedgerLocation = DirectoryLocation | S3Location | AzureBlobLocation | PostgresLocation;

export type LedgerStoreType = LedgerLocation['type'];

/** Default object prefix (S3, Azure Blob) and table of a ledger chosen explicitly. */
export const DEFAULT_LEDGER_PREFIX = 'keyfactor-ledger';
export const DEFAULT_LEDGER_TABLE = 'keyfactor_ledger';
export const DEFAULT_LEDGER_SCHEMA = 'public';
/** What follows the state key when the ledger follows an `s3` or `azurerm` backend. */
export const BACKEND_LEDGER_SUFFIX = '.keyfactor-ledger';

/** A SQL identifier our table and schema names may use (no quoting games). */
export const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** A location as one line for messages: where, never how to authenticate. */
export function describeLocation(l: LedgerLocation): string {
  switch (l.type) {
    case 'directory':
      return l.path;
    case 's3':
      return `s3://${l.bucket}/${l.prefix ? `${l.prefix}/` : ''}${l.endpoint ? ` at ${l.endpoint}` : ''}${l.region ? ` (region ${l.region})` : ''}`;
    case 'azure-blob':
      return `Azure Blob container ${l.container} of account ${l.account}${l.prefix ? `, prefix ${l.prefix}/` : ''}${l.endpoint ? ` at ${l.endpoint}` : ''}`;
    case 'postgres': {
      const server = [l.host && `host ${l.host}${l.port ? `:${l.port}` : ''}`, l.database && `database ${l.database}`, l.user && `user ${l.user}`].filter(Boolean);
      return `PostgreSQL table ${l.schema}.${l.table}${server.length ? ` (${server.join(', ')})` : ''}`;
    }
  }
}

/** libpq's sslmode values. */
export const SSL_MODES: readonly string[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * What is wrong with a location, as `field: problem` lines: synth checks the literal props with it,
 * the runner the location it reads from the environment.
 */
export function locationProblems(l: LedgerLocation): string[] {
  const problems: Array<string | undefined> = [];
  const text = (field: string, value: unknown, pattern: RegExp, rule: string) => {
    if (typeof value !== 'string' || !pattern.test(value)) problems.push(`${field} ${rule}, got ${JSON.stringify(value)}`);
  };
  const optional = (field: string, value: unknown, pattern: RegExp, rule: string) => value === undefined || text(field, value, pattern, rule);
  switch (l.type) {
    case 'directory':
      text('path', l.path, /\S/, 'must be a non-empty path');
      break;
    case 's3':
      text('bucket', l.bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)');
      text('prefix', l.prefix, /^(?!\/)[^\u0000-\u001f]{0,512}$/, 'must be at most 512 characters, not start with "/" and hold no control character');
      optional('region', l.region, /^[a-z0-9-]{1,64}$/, 'must be an AWS region name such as eu-west-1');
      problems.push(endpointProblem(l.endpoint, 'endpoint'));
      break;
    case 'azure-blob':
      text('accountName', l.account, /^[a-z0-9]{3,24}$/, 'must be a storage account name (3 to 24 lower-case letters and digits)');
      text('containerName', l.container, /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$|^\$root$/, 'must be a container name (3 to 63 lower-case letters, digits and single hyphens)');
      text('prefix', l.prefix, /^(?!\/)[^\u0000-\u001f]{0,512}$/, 'must be at most 512 characters, not start with "/" and hold no control character');
      problems.push(endpointProblem(l.endpoint, 'endpoint'));
      break;
    case 'postgres':
      text('schema', l.schema, SQL_IDENTIFIER, 'must be a plain SQL name (letters, digits, _ and $, not starting with a digit, at most 63)');
      text('table', l.table, SQL_IDENTIFIER, 'must be a plain SQL name (letters, digits, _ and $, not starting with a digit, at most 63)');
      if (l.port !== undefined && !(Number.isInteger(l.port) && l.port > 0 && l.port < 65536)) problems.push(`port must be an integer from 1 to 65535, got ${JSON.stringify(l.port)}`);
      if (l.sslMode !== undefined && !SSL_MODES.includes(l.sslMode)) problems.push(`sslMode must be one of ${SSL_MODES.join(', ')}, got ${JSON.stringify(l.sslMode)}`);
      optional('host', l.host, /^([^\s/?#@]+|\/[^\s?#@]*)$/, 'must be a host name, an address, or a Unix socket directory (an absolute path)');
      optional('database', l.database, /\S/, 'must not be blank');
      optional('user', l.user, /\S/, 'must not be blank');
      break;
    default:
      problems.push(`type ${JSON.stringify((l as { type?: unknown }).type)} is not a ledger store (directory, s3, azure-blob, postgres)`);
  }
  return problems.filter((p): p is string => p !== undefined);
}

/** An http(s) endpoint URL, without credentials, query or fragment. */
export function endpointProblem(endpoint: string | undefined, field: string): string | undefined {
  if (endpoint === undefined) return undefined;
  const bad = `${field} must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return bad;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad;
  if (url.username || url.password) return `${field} must not hold credentials (user:password@); they come from the environment`;
  if (url.search || url.hash) return `${field} must not hold a query or fragment`;
  return undefined;
}

/**
 * A location in the URL form `CDKTF_KEYFACTOR_LEDGER` takes (what the runner parses back): how a
 * stack's choice travels in the provisioner environment, readable, and a plain string in any
 * synthesized format. A directory stays a path (relative ones to the stack directory).
 */
export function locationUrl(l: LedgerLocation): string {
  const q = (params: Record<string, string | number | boolean | undefined>) => {
    const given = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]);
    const s = new URLSearchParams(given).toString();
    return s ? `?${s}` : '';
  };
  const segments = (path: string) => path.split('/').map(encodeURIComponent).join('/');
  switch (l.type) {
    case 'directory':
      return l.path;
    case 's3':
      return `s3://${l.bucket}/${segments(l.prefix)}${q({ region: l.region, endpoint: l.endpoint, use_path_style: l.usePathStyle, profile: l.profile })}`;
    case 'azure-blob':
      return `azblob://${l.account}/${l.container}/${segments(l.prefix)}${q({ endpoint: l.endpoint })}`;
    case 'postgres': {
      // A URL cannot carry a user or port without a host: then they go in the query, as libpq allows.
      const host = l.host === undefined ? '' : `${l.user !== undefined ? `${encodeURIComponent(l.user)}@` : ''}${l.host.includes(':') ? `[${l.host}]` : l.host}` +
        `${l.port !== undefined ? `:${l.port}` : ''}`;
      const server = l.host === undefined ? { user: l.user, port: l.port } : {};
      return `postgres://${host}/${l.database !== undefined ? encodeURIComponent(l.database) : ''}${q({ ...server, schema: l.schema, table: l.table, sslmode: l.sslMode })}`;
    }
  }
}
