/**
 * The PostgreSQL ledger store's client, bundled with pg into ledger-postgres.cjs: one row per
 * object in "<schema>"."<table>", keyed by a C-collated name so that a prefix is a range of the
 * primary key. One connection per client, opened on first use; the table is created by the first
 * write that finds it missing, never on every call.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ConnectionOptions } from 'tls';
import { Client, ClientConfig, DatabaseError } from 'pg';
import { connectionFields } from './config';
import { describeLocation, LedgerLocation, PostgresLocation, SSL_MODES } from '../../../../contract/ledger-location';
import type { ObjectClient, StoredObject } from '../../objects';
import { LedgerStoreError } from '../../store';
import type { Credentials } from '../configuration';
import type { ClientOptions } from '../load';


export function openClient(location: LedgerLocation, credentials: Credentials, options: ClientOptions): ObjectClient {
  if (location.type !== 'postgres') throw new LedgerStoreError(`the postgres ledger client cannot open a ${location.type} ledger (${describeLocation(location)})`);
  return new PostgresClient(location, credentials, options);
}

/** First key of the advisory lock around creating the table: the two-integer lock space, apart from the bigint locks of Terraform's pg backend. */
const DDL_LOCK = 0x6b666c67;
const CONN_STR = "the backend's conn_str / PG_CONN_STR";
const LOCATION = 'the ledger location (CDKTF_KEYFACTOR_LEDGER or KeyfactorDefaults ledger)';
/** Errors of a connection that died, after which one fresh connection may succeed. */
const DROPPED = /Connection terminated|not queryable|ECONNRESET|EPIPE|socket hang up|write after end/i;

interface Settings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Where each value came from, for messages. */
  readonly from: { readonly host: string; readonly port: string; readonly database: string; readonly user: string };
  readonly sslMode: string;
  readonly sslFrom: string;
  /** Known before connecting (URL, conn_str, PGPASSWORD); otherwise the password file is read when the server asks. */
  readonly password?: string;
  readonly passwordFrom?: string;
}

class Timeout extends Error {}
class NoPassword extends Error {}

class PostgresClient implements ObjectClient {
  readonly location: string;
  private readonly table: string;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly settings?: Settings;
  private readonly settingsError?: string;
  /** Every secret this client holds: removed from any text that reaches a message. */
  private readonly secrets: string[];
  private conn?: Client;
  /** The client of a connection being opened (destroyed too when a call times out). */
  private opening?: Client;
  /** allow/prefer: the server said it has no SSL, so later connections go plain at once. */
  private plain = false;
  private passwordFrom?: string;
  /** Calls run one at a time on the one connection (pg's own queue warns on stderr). */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly where: PostgresLocation, credentials: Credentials, options: ClientOptions) {
    this.location = describeLocation(where);
    this.table = `${quoteIdent(where.schema)}.${quoteIdent(where.table)}`;
    this.timeoutMs = options.timeoutMs;
    this.env = options.env;
    this.secrets = [credentials.connectionString, credentials.password].filter((s): s is string => s !== undefined);
    try {
      this.settings = resolveSettings(where, credentials, options.env);
      if (this.settings.password) this.secrets.push(this.settings.password);
      this.passwordFrom = this.settings.passwordFrom;
    } catch (e) {
      // A malformed connection string: reported by the first call, as every other failure is.
      this.settingsError = this.scrub(e instanceof Error ? e.message : String(e));
    }
  }

  async get(name: string): Promise<Buffer | undefined> {
    const rows = await this.call(false, (c) => c.query(`SELECT data FROM ${this.table} WHERE name = $1`, [name]));
    return rows?.rows.length ? Buffer.from(rows.rows[0].data as string, 'utf8') : undefined;
  }

  async put(name: string, data: Buffer): Promise<void> {
    const text = data.toString('utf8');
    // The column is text: bytes that are not UTF-8 (or hold NUL) would not come back as written.
    if (!Buffer.from(text, 'utf8').equals(data) || text.includes('\u0000')) {
      throw new LedgerStoreError(`cannot write ${name} to the ledger store ${this.location}: its bytes are not UTF-8 text without NUL characters.`);
    }
    await this.call(true, (c) => c.query(
      `INSERT INTO ${this.table} (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
      [name, text]));
  }

  async list(prefix: string): Promise<string[]> {
    const range = prefixRange(prefix, 1);
    const rows = await this.call(false, (c) => c.query(`SELECT name FROM ${this.table} WHERE ${range.sql} ORDER BY name`, range.values));
    return rows ? rows.rows.map((r) => r.name as string) : [];
  }

  async delete(names: readonly string[]): Promise<void> {
    if (!names.length) return;
    await this.call(false, (c) => c.query(`DELETE FROM ${this.table} WHERE name = ANY($1::text[])`, [[...names]]));
  }

  async getUnder(prefixes: readonly string[]): Promise<StoredObject[]> {
    const unique = [...new Set(prefixes)];
    if (!unique.length) return [];
    const values: string[] = [];
    const ranges = unique.map((p) => {
      const r = prefixRange(p, values.length + 1);
      values.push(...r.values);
      return `(${r.sql})`;
    });
    const rows = await this.call(false, (c) => c.query(`SELECT name, data FROM ${this.table} WHERE ${ranges.join(' OR ')} ORDER BY name`, values));
    return rows ? rows.rows.map((r) => ({ name: r.name as string, data: Buffer.from(r.data as string, 'utf8') })) : [];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    // A graceful goodbye, bounded: a server that stopped answering must not keep close() pending.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([conn.end().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, this.timeoutMs)))]);
    clearTimeout(timer);
    destroy(conn);
  }

  /**
   * Runs `work` on the connection within the time limit, after the calls before it. A missing
   * table is created when `creates` (a write), else the call reads as nothing (undefined).
   */
  private call<T>(creates: boolean, work: (c: Client) => Promise<T>): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new LedgerStoreError(`the ledger store ${this.location} was used after its client was closed.`));
    const deadline = Date.now() + this.timeoutMs;
    const run = this.queue.then(() => this.withDeadline(creates, work, deadline));
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  private withDeadline<T>(creates: boolean, work: (c: Client) => Promise<T>, deadline: number): Promise<T | undefined> {
    const token = { expired: false };
    // Its time went by waiting behind calls that timed out themselves.
    if (Date.now() >= deadline) return Promise.reject(this.failure(new Timeout()));
    return new Promise<T | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        token.expired = true;
        // Whatever is pending on the connection fails now instead of hanging; the next call opens another.
        this.drop();
        reject(this.failure(new Timeout()));
      }, Math.max(0, deadline - Date.now()));
      this.attempt(creates, work, deadline, token).then(resolve, (e) => reject(this.failure(e))).finally(() => clearTimeout(timer));
    });
  }

  private async attempt<T>(creates: boolean, work: (c: Client) => Promise<T>, deadline: number, token: { expired: boolean }): Promise<T | undefined> {
    let retried = false;
    let created = false;
    for (;;) {
      const reused = this.conn !== undefined;
      const conn = await this.connection(deadline, token);
      try {
        return await work(conn);
      } catch (e) {
        if (token.expired) throw e;
        const code = e instanceof DatabaseError ? e.code : undefined;
        if (code === '42P01' || code === '3F000') {
          if (!creates) return undefined; // no table yet: nothing to read or delete
          if (created) throw e;
          await this.createTable(conn);
          created = true;
          continue;
        }
        // The connection dropped between calls (server restart, idle timeout): one fresh connection.
        if (reused && !retried && isDropped(e)) {
          retried = true;
          this.drop();
          continue;
        }
        throw e;
      }
    }
  }

  /** The open connection, or a new one (allow/prefer: without SSL when the server has none). */
  private async connection(deadline: number, token: { expired: boolean }): Promise<Client> {
    if (this.conn) return this.conn;
    if (this.settingsError) throw new LedgerStoreError(`the ledger store ${this.location} cannot be opened: ${this.settingsError}.`);
    const s = this.settings!;
    const tries = s.sslMode === 'prefer' || s.sslMode === 'allow' ? (this.plain ? [false] : [true, false]) : [s.sslMode !== 'disable'];
    for (const [i, useSsl] of tries.entries()) {
      try {
        const conn = await this.open(s, useSsl, deadline);
        if (token.expired) {
          destroy(conn);
          throw new Timeout();
        }
        this.conn = conn;
        return conn;
      } catch (e) {
        if (i === tries.length - 1 || !(e instanceof Error) || !/does not support SSL/.test(e.message)) throw e;
        this.plain = true;
      }
    }
    throw new Error('unreachable');
  }

  private async open(s: Settings, useSsl: boolean, deadline: number): Promise<Client> {
    const config: ClientConfig = {
      // Every field given, so pg reads nothing from process.env: options.env is what counts.
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      password: () => this.password(),
      ssl: useSsl ? this.ssl(s) : false,
      sslnegotiation: useSsl && this.env.PGSSLNEGOTIATION === 'direct' ? 'direct' : 'postgres',
      application_name: 'cdktf-keyfactor',
      // Text in and out as UTF-8 whatever the database's encoding; PGOPTIONS still applies.
      options: ['-c client_encoding=UTF8', this.env.PGOPTIONS].filter(Boolean).join(' '),
      // A backstop only: the call's own timer ends a hung connect at the deadline.
      connectionTimeoutMillis: Math.max(1, deadline - Date.now()) + 1000,
      // The server gives up on a statement the client no longer waits for.
      statement_timeout: this.timeoutMs,
      keepAlive: true,
    };
    const conn = new Client(config);
    // An idle connection that dies emits 'error': without a listener that would crash the runner.
    conn.on('error', () => this.forget(conn));
    conn.on('end', () => this.forget(conn));
    this.opening = conn;
    try {
      await conn.connect();
      return conn;
    } catch (e) {
      destroy(conn); // pg leaves the socket open after a failed handshake
      throw e;
    } finally {
      if (this.opening === conn) this.opening = undefined;
    }
  }

  /** The password when the server asks for one: given, else from the password file, as libpq does. */
  private password(): string {
    const s = this.settings!;
    if (s.password !== undefined) return s.password;
    const found = passwordFromFile(s, this.env);
    if (found === undefined) throw new NoPassword();
    this.secrets.push(found.password);
    this.passwordFrom = `the password file ${found.file}`;
    return found.password;
  }

  private ssl(s: Settings): ConnectionOptions {
    switch (s.sslMode) {
      case 'verify-full':
        return { rejectUnauthorized: true, ...this.rootCertificate() };
      case 'verify-ca':
        return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...this.rootCertificate() };
      default: // allow, prefer, require: encrypted, not verified (libpq's meaning)
        return { rejectUnauthorized: false };
    }
  }

  /** PGSSLROOTCERT, else ~/.postgresql/root.crt when there is one, else the system's CAs. */
  private rootCertificate(): { ca?: Buffer } {
    const named = this.env.PGSSLROOTCERT;
    if (named === 'system') return {};
    const file = named || path.join(this.env.HOME || os.homedir(), '.postgresql', 'root.crt');
    try {
      return { ca: fs.readFileSync(file) };
    } catch (e) {
      if (!named && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new LedgerStoreError(`the ledger store ${this.location}: cannot read the root certificate ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check PGSSLROOTCERT.`);
    }
  }

  /** Creates the schema and table, once across every process starting together: under a lock, and only what is missing. */
  private async createTable(conn: Client): Promise<void> {
    const { schema, table } = this.where;
    await conn.query('BEGIN');
    try {
      // CREATE ... IF NOT EXISTS alone still fails when raced (a unique violation on pg_type).
      await conn.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DDL_LOCK, `${schema}.${table}`]);
      // Looked up in the catalog, not by IF NOT EXISTS: that checks the CREATE right even when the object exists.
      const found = await conn.query(
        'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema, ' +
        'EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2) AS table',
        [schema, table]);
      try {
        if (!found.rows[0].schema) await conn.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        if (!found.rows[0].table) await conn.query(this.createTableSql());
      } catch (e) {
        if (e instanceof DatabaseError && e.code === '42501') {
          throw new LedgerStoreError(`the ledger store ${this.location} has no table yet, and user "${this.settings!.user}" may not create it (42501): ` +
            `have a database administrator run: ${this.adminSql()}`);
        }
        throw e;
      }
      await conn.query('COMMIT');
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private createTableSql(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (name text COLLATE "C" PRIMARY KEY, data text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`;
  }

  /** What an administrator runs for a user who may not create the table or lacks rights on it. */
  private adminSql(): string {
    const user = quoteIdent(this.settings!.user);
    return [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.where.schema)};`,
      `${this.createTableSql()};`,
      `GRANT USAGE ON SCHEMA ${quoteIdent(this.where.schema)} TO ${user};`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${this.table} TO ${user};`,
    ].join(' ');
  }

  /** Forgets (and closes) the connection and any being opened. */
  private drop(): void {
    for (const c of [this.conn, this.opening]) if (c) destroy(c);
    this.conn = undefined;
    this.opening = undefined;
  }

  private forget(conn: Client): void {
    if (this.conn === conn) this.conn = undefined;
    destroy(conn);
  }

  /** Any failure as a LedgerStoreError that names the store and what to check, without a secret. */
  private failure(e: unknown): LedgerStoreError {
    if (e instanceof Error && e.name === 'LedgerStoreError') return new LedgerStoreError(this.scrub(e.message));
    const s = this.settings;
    if (!s) return new LedgerStoreError(`the ledger store ${this.location} failed: ${e instanceof Error ? this.scrub(e.message) : 'unknown error'}`);
    const loc = this.location;
    const hostPort = s.from.host === s.from.port ? `host and port from ${s.from.host}` : `host ${s.host} from ${s.from.host}, port ${s.port} from ${s.from.port}`;
    if (e instanceof Timeout) {
      return new LedgerStoreError(`the ledger store ${loc} did not answer within ${this.timeoutMs / 1000}s (CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS): ` +
        `check that it is reachable from this machine (${hostPort}).`);
    }
    if (e instanceof NoPassword) {
      return new LedgerStoreError(`the ledger store ${loc} asks for a password for user "${s.user}" and none was given: ` +
        "set PGPASSWORD, add the server to ~/.pgpass (or the file PGPASSFILE names), or put the password in the backend's conn_str / PG_CONN_STR.");
    }
    const code = (e as { code?: unknown }).code;
    if (e instanceof DatabaseError) {
      switch (code) {
        case '28P01':
          return new LedgerStoreError(`the ledger store ${loc} refused the credentials of user "${s.user}" (28P01; the password came from ${this.passwordFrom ?? 'nowhere'}): ` +
            "check PGPASSWORD, ~/.pgpass (or the file PGPASSFILE names), or the backend's conn_str / PG_CONN_STR.");
        case '28000':
          return new LedgerStoreError(`the ledger store ${loc} refused user "${s.user}" (28000: ${this.scrub(e.message)}): ` +
            `check the server's pg_hba.conf and the sslmode (${s.sslMode}, from ${s.sslFrom}).`);
        case '3D000':
          return new LedgerStoreError(`database "${s.database}" does not exist on the server of the ledger store ${loc} (the name from ${s.from.database}): ` +
            'create it, or name another ledger store (CDKTF_KEYFACTOR_LEDGER or KeyfactorDefaults ledger).');
        case '42501':
          return new LedgerStoreError(`the ledger store ${loc} refused access to user "${s.user}" (42501: ${this.scrub(e.message)}): ` +
            `have a database administrator run: ${this.adminSql()}`);
        case '57014':
          return new LedgerStoreError(`the ledger store ${loc} did not finish a statement within ${this.timeoutMs / 1000}s (CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS): ` +
            'check for locks held on the table, or raise the limit.');
        default:
          return new LedgerStoreError(`the ledger store ${loc} failed (${code}): ${this.scrub(e.message)}`);
      }
    }
    const message = e instanceof Error ? this.scrub(e.message) : 'unknown error';
    if (/does not support SSL/.test(message)) {
      return new LedgerStoreError(`the ledger store ${loc} does not accept SSL connections, and sslmode ${s.sslMode} (from ${s.sslFrom}) requires SSL: ` +
        'turn SSL on at the server, or set sslmode to prefer or disable (URL parameter, conn_str, or PGSSLMODE).');
    }
    if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|HOSTNAME|ALTNAME/.test(code)) {
      return new LedgerStoreError(`the ledger store ${loc} presented a certificate that sslmode ${s.sslMode} (from ${s.sslFrom}) does not accept (${code}): ` +
        'check PGSSLROOTCERT (or ~/.postgresql/root.crt) holds the CA that signed it, and for verify-full that it names the host; sslmode require encrypts without checking.');
    }
    const named = [s.from.host, s.from.port].every((f) => f === CONN_STR || f === LOCATION);
    if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEDOUT|ENOENT|EACCES)$/.test(code)) {
      return new LedgerStoreError(`cannot reach the ledger store ${loc} (${code} ${s.host}:${s.port}): ` +
        `check that it runs and that this machine can reach it (${hostPort}${named ? '; PGHOST and PGPORT apply when neither names them' : ''}).`);
    }
    if (/Connection terminated unexpectedly/.test(message)) {
      return new LedgerStoreError(`the ledger store ${loc} closed the connection (${hostPort}): check that PostgreSQL listens there and accepts this machine.`);
    }
    return new LedgerStoreError(`the ledger store ${loc} failed: ${message}`);
  }

  private scrub(text: string): string {
    let out = text;
    // (Secrets of one or two characters would blank out the message, and could not be told from it anyway.)
    for (const s of this.secrets) if (s.length > 2) out = out.split(s).join('***');
    return out;
  }
}

/** Host, port, database, user and sslmode as libpq takes them: location, then the connection string, then PG* variables, then the defaults. */
function resolveSettings(l: PostgresLocation, credentials: Credentials, env: NodeJS.ProcessEnv): Settings {
  const conn = credentials.connectionString ? connectionFields(credentials.connectionString) : undefined;
  const c = conn?.fields ?? {};
  const pick = <V>(given: V | undefined, fromConn: V | undefined, variable: string, fallback: () => string): [string, string] => {
    if (given !== undefined && given !== '') return [String(given), fromConn !== undefined && String(fromConn) === String(given) ? CONN_STR : LOCATION];
    if (fromConn !== undefined && fromConn !== '') return [String(fromConn), CONN_STR];
    const v = env[variable];
    if (v !== undefined && v !== '') return [v, variable];
    return [fallback(), `the default (${variable} unset)`];
  };
  const [host, hostFrom] = pick(l.host, c.host, 'PGHOST', () => 'localhost');
  const [portText, portFrom] = pick(l.port, c.port, 'PGPORT', () => '5432');
  const [user, userFrom] = pick(l.user, c.user, 'PGUSER', osUser);
  const [database, databaseFrom] = pick(l.database, c.database, 'PGDATABASE', () => user);
  const [sslMode, sslFrom] = pick(l.sslMode, c.sslMode, 'PGSSLMODE', () => 'prefer');
  const port = Number(portText);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`the port "${portText}" (from ${portFrom}) is not a port number`);
  if (!SSL_MODES.includes(sslMode)) throw new Error(`sslmode "${sslMode}" (from ${sslFrom}) is not one of ${SSL_MODES.join(', ')}`);
  const password = credentials.password ?? conn?.password ?? env.PGPASSWORD;
  const passwordFrom = credentials.password !== undefined ? "the ledger URL's password" : conn?.password !== undefined ? CONN_STR : env.PGPASSWORD !== undefined ? 'PGPASSWORD' : undefined;
  const from = { host: hostFrom, port: portFrom, database: databaseFrom, user: userFrom };
  return { host, port, database, user, from, sslMode, sslFrom, password, passwordFrom };
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'postgres';
  }
}

/**
 * libpq's password file (PGPASSFILE, else ~/.pgpass): `host:port:database:user:password` lines,
 * `*` matching anything, `\` escaping; ignored when others may read it, as libpq does.
 */
function passwordFromFile(s: Settings, env: NodeJS.ProcessEnv): { password: string; file: string } | undefined {
  const file = env.PGPASSFILE || (process.platform === 'win32'
    ? path.join(env.APPDATA || '', 'postgresql', 'pgpass.conf')
    : path.join(env.HOME || os.homedir(), '.pgpass'));
  let text: string;
  try {
    const stat = fs.statSync(file);
    // eslint-disable-next-line no-bitwise -- permission bits
    if (!stat.isFile() || (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const host = s.host.startsWith('/') ? 'localhost' : s.host;
  const wanted = [host, String(s.port), s.database, s.user];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields: string[] = [''];
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\' && i + 1 < line.length) fields[fields.length - 1] += line[++i];
      else if (line[i] === ':' && fields.length < 5) fields.push('');
      else fields[fields.length - 1] += line[i];
    }
    if (fields.length === 5 && wanted.every((w, i) => fields[i] === '*' || fields[i] === w)) return { password: fields[4], file };
  }
  return undefined;
}

/**
 * `name >= prefix AND name < (prefix with its last character incremented)`: under the C collation
 * (code point order) exactly the names that start with it, matched literally (`_` and `%` too),
 * as a range of the primary key. The empty prefix is every name.
 */
function prefixRange(prefix: string, first: number): { sql: string; values: string[] } {
  const chars = Array.from(prefix);
  while (chars.length) {
    const next = chars[chars.length - 1].codePointAt(0)! + 1;
    if (next <= 0x10ffff) {
      chars[chars.length - 1] = String.fromCodePoint(next === 0xd800 ? 0xe000 : next);
      return { sql: `name >= $${first} AND name < $${first + 1}`, values: [prefix, chars.join('')] };
    }
    chars.pop(); // U+10FFFF has no successor: the range ends after the previous character instead
  }
  return { sql: prefix ? `name >= $${first}` : 'TRUE', values: prefix ? [prefix] : [] };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function isDropped(e: unknown): boolean {
  if (e instanceof DatabaseError) return e.code === '57P01' || e.code === '57P02' || e.code === '57P03' || (e.code ?? '').startsWith('08');
  return e instanceof Error && (DROPPED.test(e.message) || DROPPED.test(String((e as { code?: unknown }).code ?? '')));
}

/** Closes a connection's socket at once (pg's end() waits for a server that may never answer). */
function destroy(conn: Client): void {
  (conn as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
