/**
 * PostgreSQL: `postgres://user@host:port/database?schema=...&table=...`, or the stack's `pg`
 * backend (the same database and connection string, `conn_str` or PG_CONN_STR, and a table
 * `keyfactor_ledger` in the backend's schema, `schema_name` or PG_SCHEMA_NAME, by default
 * `terraform_remote_state`, as the backend keeps its `states` table). Unset connection fields
 * come from libpq's variables (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ...) and ~/.pgpass.
 */
import { DEFAULT_LEDGER_SCHEMA, DEFAULT_LEDGER_TABLE, PostgresLocation } from '../../../../contract/ledger-location';
import { Placed, setting, StoreConfiguration, urlParameters, variable } from '../configuration';

/** The schema Terraform's pg backend uses by default. */
const BACKEND_SCHEMA = 'terraform_remote_state';

export const postgresConfiguration: StoreConfiguration<PostgresLocation> = {
  type: 'postgres',
  schemes: ['postgres', 'postgresql'],
  example: 'postgres://user@host:5432/database?schema=public&table=keyfactor_ledger (password from PGPASSWORD or ~/.pgpass)',
  backend: 'pg',

  fromUrl(url) {
    // libpq's own query parameters for the server, and the ledger's table.
    const p = urlParameters(url, ['schema', 'table', 'sslmode', 'host', 'port', 'user', 'dbname'], 'postgres:// ledger URL');
    const server = connectionFields(url.href);
    return {
      location: { type: 'postgres', ...server.fields, schema: p.schema ?? DEFAULT_LEDGER_SCHEMA, table: p.table ?? DEFAULT_LEDGER_TABLE, sslMode: p.sslmode ?? server.fields.sslMode },
      credentials: { password: server.password },
    };
  },

  fromBackend(config, env): Placed<PostgresLocation> {
    const connectionString = setting(config, 'conn_str') ?? variable(env, 'PG_CONN_STR');
    if (!connectionString) throw new Error('the pg backend configuration has no conn_str (nor is PG_CONN_STR set)');
    const schema = setting(config, 'schema_name') ?? variable(env, 'PG_SCHEMA_NAME') ?? BACKEND_SCHEMA;
    return {
      location: { type: 'postgres', ...connectionFields(connectionString).fields, schema, table: DEFAULT_LEDGER_TABLE },
      credentials: { connectionString },
    };
  },
};

type ServerFields = Pick<PostgresLocation, 'host' | 'port' | 'database' | 'user' | 'sslMode'>;

/**
 * The server fields of a libpq connection string, a URL (`postgres://user:pw@host:port/db?sslmode=`)
 * or `key=value` pairs (`host=h port=5432 dbname=d user=u password='p w'`), as Terraform's pg
 * backend takes either; the password apart, to be used and never shown.
 */
export function connectionFields(text: string): { fields: ServerFields; password?: string } {
  let values: Record<string, string>;
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error('the PostgreSQL connection string is not a valid URL');
    }
    values = Object.fromEntries(url.searchParams);
    if (url.hostname) values.host = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
    if (url.port) values.port = url.port;
    if (url.username) values.user = decodeURIComponent(url.username);
    if (url.password) values.password = decodeURIComponent(url.password);
    const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (db) values.dbname = db;
  } else {
    values = keyValues(text);
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`the PostgreSQL connection string's port "${values.port}" is not a port number`);
  return {
    fields: { host: values.host, port, database: values.dbname, user: values.user, sslMode: values.sslmode },
    password: values.password,
  };
}

/** libpq's `key=value` form: values may be single-quoted, with \' and \\ escapes. */
function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error('the PostgreSQL connection string is neither a postgres:// URL nor key=value pairs');
    out[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    at = re.lastIndex;
  }
  return out;
}
