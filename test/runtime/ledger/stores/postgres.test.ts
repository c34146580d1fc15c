/**
 * The PostgreSQL ledger store's client against a real server (a fresh cluster per run): the
 * conformance suite, then what is PostgreSQL's own: the table made once by the first writers,
 * the SQL an administrator runs for a role that may not make it, connection strings and PG*
 * variables, sslmode, prefixes holding LIKE's wildcards, dropped connections, and the bundle.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client, escapeLiteral } from 'pg';
import { storeConformance, StoreUnderTest } from './conformance';
import type { PostgresLocation } from '../../../../src/contract/ledger-location';
import type { ObjectClient } from '../../../../src/runtime/ledger';
import type { Credentials } from '../../../../src/runtime/ledger/stores/configuration';
import { clientModuleFile, loadClientModule } from '../../../../src/runtime/ledger/stores/load';
import { openClient } from '../../../../src/runtime/ledger/stores/postgres/client';
import { postgresConfiguration } from '../../../../src/runtime/ledger/stores/postgres/config';
import { failure } from '../../../support/runtime';
import { PostgresServer, startPostgres } from '../../../support/servers/postgres';

let server: PostgresServer;
let n = 0;
const fresh = (what: string) => `${what}_${process.pid}_${++n}`;

beforeAll(async () => {
  // Every DDL statement in the log: the tests count the CREATEs the clients ran.
  server = await startPostgres({ settings: { log_statement: 'ddl' } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** No ~/.pgpass of whoever runs the tests, and none of their PG* variables: options.env is all a client sees. */
const HOME = () => fs.mkdtempSync(path.join(os.tmpdir(), 'home-'));

interface Opening extends Partial<Omit<PostgresLocation, 'type'>> {
  credentials?: Credentials;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function location(o: Opening = {}): PostgresLocation {
  return {
    type: 'postgres',
    host: 'host' in o ? o.host : '127.0.0.1',
    port: 'port' in o ? o.port : server.port,
    database: 'database' in o ? o.database : 'postgres',
    user: 'user' in o ? o.user : 'postgres',
    schema: o.schema ?? 'public',
    table: o.table ?? fresh('t'),
    sslMode: o.sslMode,
  };
}

function open(o: Opening = {}): ObjectClient {
  const options = { timeoutMs: o.timeoutMs ?? 10_000, env: o.env ?? { HOME: HOME() } };
  return openClient(location(o), o.credentials ?? { password: server.password }, options);
}

const BAD_SECRET = 'wrong-password-5c2e91ab77';

const postgresStore = (): StoreUnderTest => ({
  type: 'postgres',
  open: (options) => open({ timeoutMs: options?.timeoutMs }),
  openMany: (count) => {
    const table = fresh('t');
    return Array.from({ length: count }, () => open({ table }));
  },
  openAt: (port, options) => open({ port, timeoutMs: options.timeoutMs }),
  openWithBadCredentials: () => ({ client: open({ credentials: { password: BAD_SECRET } }), secret: BAD_SECRET }),
  openMissing: () => {
    const missing = fresh('nodb');
    return { client: open({ database: missing }), missing };
  },
  unreachableHint: /PGHOST|host/,
  credentialsHint: /PGPASSWORD/,
  missingHint: /does not exist/,
});

storeConformance(postgresStore);

async function roundTrip(c: ObjectClient, name = 'records/k/1.json', body = '{"ok":true}'): Promise<string> {
  try {
    await c.put(name, Buffer.from(body));
    expect(await c.list('records/')).toEqual([name]);
    return (await c.get(name))!.toString();
  } finally {
    await c.close();
  }
}

/** The log lines of DDL statements holding `text`. */
function loggedDdl(text: string): string[] {
  return fs.readFileSync(server.logFile, 'utf8').split('\n').filter((l) => l.includes('statement: CREATE') && l.includes(text));
}

async function role(name: string, password: string): Promise<void> {
  await server.query(`CREATE ROLE "${name}" LOGIN PASSWORD ${escapeLiteral(password)}`);
}

describe('the table', () => {
  test('twenty clients at once make the schema and the table on first use, once; later use runs no DDL', async () => {
    const schema = fresh('s');
    const table = fresh('t');
    const clients = Array.from({ length: 20 }, () => open({ schema, table }));
    try {
      await Promise.all(clients.map((c, i) => c.put(`records/k/${i}.json`, Buffer.from(`{"i":${i}}`))));
      expect((await clients[0].list('records/k/')).length).toBe(20);
      expect(loggedDdl(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)).toHaveLength(1);
      expect(loggedDdl(`"${schema}"."${table}"`)).toHaveLength(1);
      // The name is C-collated (a prefix is a range of the key), and the key.
      const columns = await server.query(
        `SELECT a.attname, coll.collname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
           FROM pg_attribute a LEFT JOIN pg_collation coll ON coll.oid = a.attcollation
          WHERE a.attrelid = $1::regclass AND a.attnum > 0 ORDER BY a.attnum`, [`"${schema}"."${table}"`]);
      expect(columns.rows).toEqual([
        { attname: 'name', collname: 'C', type: 'text', attnotnull: true },
        { attname: 'data', collname: 'default', type: 'text', attnotnull: true },
        { attname: 'updated_at', collname: null, type: 'timestamp with time zone', attnotnull: true },
      ]);
      const key = await server.query("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'", [`"${schema}"."${table}"`]);
      expect(key.rows).toEqual([{ def: 'PRIMARY KEY (name)' }]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    const later = open({ schema, table });
    try {
      await later.put('records/k/0.json', Buffer.from('{"again":true}'));
      expect((await later.get('records/k/0.json'))!.toString()).toBe('{"again":true}');
    } finally {
      await later.close();
    }
    expect(loggedDdl(`"${schema}"`)).toHaveLength(2); // still the one CREATE SCHEMA and the one CREATE TABLE
  });

  test('reads of a ledger that has no table yet find nothing, and make nothing', async () => {
    const schema = fresh('s');
    const c = open({ schema });
    try {
      expect(await c.get('jobs/x')).toBeUndefined();
      expect(await c.list('')).toEqual([]);
      expect(await c.getUnder!(['records/a/', 'records/b/'])).toEqual([]);
      await c.delete(['records/a/1.json']);
    } finally {
      await c.close();
    }
    expect(loggedDdl(`"${schema}"`)).toEqual([]);
  });

  test('a role that may not create the table is given the SQL to run; after an administrator runs exactly that, the role works', async () => {
    const user = fresh('limited');
    const password = 'limited-pw-1';
    await role(user, password);
    const schema = fresh('s');
    const table = fresh('t');
    const c = open({ user, schema, table, credentials: { password } });
    try {
      const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
      expect(e.name).toBe('LedgerStoreError');
      expect(e.message).toContain(c.location);
      expect(e.message).toContain(`user "${user}" may not create it (42501)`);
      const sql = /have a database administrator run: (.*)$/s.exec(e.message)![1];
      expect(sql).toBe(`CREATE SCHEMA IF NOT EXISTS "${schema}"; ` +
        `CREATE TABLE IF NOT EXISTS "${schema}"."${table}" (name text COLLATE "C" PRIMARY KEY, data text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now()); ` +
        `GRANT USAGE ON SCHEMA "${schema}" TO "${user}"; GRANT SELECT, INSERT, UPDATE, DELETE ON "${schema}"."${table}" TO "${user}";`);
      await server.query(sql);
      // The role may not run DDL at all: working now proves it runs none on use.
      await c.put('records/k/1.json', Buffer.from('{"v":1}'));
      await c.put('records/k/1.json', Buffer.from('{"v":2}'));
      expect((await c.get('records/k/1.json'))!.toString()).toBe('{"v":2}');
      expect(await c.list('records/')).toEqual(['records/k/1.json']);
      await c.delete(['records/k/1.json']);
      expect(await c.list('records/')).toEqual([]);
    } finally {
      await c.close();
    }
  });

  test('a role without rights on an existing table is told the GRANTs it needs', async () => {
    const user = fresh('norights');
    await role(user, 'nr-pw');
    const table = fresh('t');
    const owner = open({ table });
    await owner.put('records/k/1.json', Buffer.from('{}'));
    await owner.close();
    const c = open({ user, table, credentials: { password: 'nr-pw' } });
    try {
      const e = await failure(c.get('records/k/1.json'));
      expect(e.message).toContain(c.location);
      expect(e.message).toMatch(/refused access to user "norights_\d+_\d+" \(42501: permission denied for table t_\d+_\d+\)/);
      expect(e.message).toContain(`GRANT SELECT, INSERT, UPDATE, DELETE ON "public"."${table}" TO "${user}";`);
    } finally {
      await c.close();
    }
  });
});

describe('connection settings', () => {
  const PASSWORD = 'p@ss w/rd%:é';
  let user: string;
  const DB = 'kf ledger db';

  beforeAll(async () => {
    user = fresh('conn');
    await role(user, PASSWORD);
    await server.query(`CREATE DATABASE "${DB}" OWNER "${user}"`);
  });

  test('a conn_str URL with a percent-encoded password (the pg backend), and a CDKTF_KEYFACTOR_LEDGER URL', async () => {
    const url = `postgres://${user}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/${encodeURIComponent(DB)}?sslmode=disable`;
    const backend = postgresConfiguration.fromBackend({ conn_str: url, schema_name: fresh('s') }, {});
    const c = openClient(backend.location, backend.credentials, { timeoutMs: 10_000, env: { HOME: HOME() } });
    expect(c.location).toBe(`PostgreSQL table ${backend.location.schema}.keyfactor_ledger (host 127.0.0.1:${server.port}, database ${DB}, user ${user})`);
    expect(await roundTrip(c)).toBe('{"ok":true}');
    const ledger = postgresConfiguration.fromUrl(new URL(`${url}&table=${fresh('t')}`), {});
    expect(await roundTrip(openClient(ledger.location, ledger.credentials, { timeoutMs: 10_000, env: { HOME: HOME() } }))).toBe('{"ok":true}');
    const rows = await server.query(`SELECT count(*)::int AS n FROM "${backend.location.schema}".keyfactor_ledger`, [], DB);
    expect(rows.rows).toEqual([{ n: 1 }]);
  });

  test('a key=value conn_str with quoted values holding spaces and quotes', async () => {
    const kvUser = fresh('kv');
    const kvPassword = "it's a secret";
    await role(kvUser, kvPassword);
    await server.query(`GRANT CREATE ON DATABASE "${DB}" TO "${kvUser}"`);
    const conn = `host=127.0.0.1 port=${server.port} dbname='${DB}' user=${kvUser} password='it\\'s a secret' sslmode=disable`;
    const placed = postgresConfiguration.fromBackend({ conn_str: conn, schema_name: fresh('s') }, {});
    expect(placed.location).toMatchObject({ host: '127.0.0.1', port: server.port, database: DB, user: kvUser, sslMode: 'disable' });
    expect(await roundTrip(openClient(placed.location, placed.credentials, { timeoutMs: 10_000, env: { HOME: HOME() } }))).toBe('{"ok":true}');
    // The same string as PG_CONN_STR, where nothing listens: the message holds neither it nor the password.
    const closed = postgresConfiguration.fromBackend({}, { PG_CONN_STR: conn.replace(`port=${server.port}`, 'port=9') });
    const c = openClient(closed.location, closed.credentials, { timeoutMs: 5_000, env: { HOME: HOME() } });
    const e = await failure(c.get('x'));
    expect(e.message).toMatch(/^cannot reach the ledger store .* \(ECONNREFUSED 127\.0\.0\.1:9\): .*host and port from the backend's conn_str \/ PG_CONN_STR; PGHOST and PGPORT apply when neither names them\)\.$/);
    expect(e.message).not.toContain('secret');
    expect(e.message).not.toContain('password');
    await c.close();
  });

  test('PG* variables from options.env alone (process.env has none), PGPASSFILE included', async () => {
    for (const v of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGPASSFILE']) expect(process.env[v]).toBeUndefined();
    const only = { type: 'postgres', schema: fresh('s'), table: 'keyfactor_ledger' } as const;
    const env = { HOME: HOME(), PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: user, PGDATABASE: DB, PGSSLMODE: 'disable' };
    const c = openClient(only, {}, { timeoutMs: 10_000, env: { ...env, PGPASSWORD: PASSWORD } });
    expect(c.location).toBe(`PostgreSQL table ${only.schema}.keyfactor_ledger`);
    expect(await roundTrip(c)).toBe('{"ok":true}');
    expect((await server.query(`SELECT count(*)::int AS n FROM "${only.schema}".keyfactor_ledger`, [], DB)).rows).toEqual([{ n: 1 }]);

    // The password file: `:` and `\` escaped; ignored while others may read it, as libpq does.
    const passfile = path.join(HOME(), 'pgpass');
    fs.writeFileSync(passfile, `# comment\n127.0.0.1:${server.port}:postgres:*:nope\n*:${server.port}:${DB}:${user}:${PASSWORD.replace(/[:\\]/g, '\\$&')}\n`, { mode: 0o644 });
    const loose = await failure(openClient(only, {}, { timeoutMs: 10_000, env: { ...env, PGPASSFILE: passfile } }).get('x'));
    expect(loose.message).toMatch(/asks for a password for user "conn_\d+_\d+" and none was given: set PGPASSWORD, add the server to ~\/\.pgpass/);
    fs.chmodSync(passfile, 0o600);
    expect(await roundTrip(openClient(only, {}, { timeoutMs: 10_000, env: { ...env, PGPASSFILE: passfile } }))).toBe('{"ok":true}');

    // A wrong password names where it came from.
    const wrong = await failure(openClient(only, {}, { timeoutMs: 10_000, env: { ...env, PGPASSWORD: BAD_SECRET } }).get('x'));
    expect(wrong.message).toContain(`refused the credentials of user "${user}" (28P01; the password came from PGPASSWORD)`);
    expect(wrong.message).not.toContain(BAD_SECRET);
  });

  test('an unreachable server named by PGHOST/PGPORT says so; a malformed connection string fails on first use, without its secret', async () => {
    const only = { type: 'postgres', schema: 'public', table: 'keyfactor_ledger' } as const;
    const c = openClient(only, {}, { timeoutMs: 5_000, env: { HOME: HOME(), PGHOST: '127.0.0.1', PGPORT: '9', PGSSLMODE: 'disable' } });
    expect((await failure(c.get('x'))).message).toContain('(ECONNREFUSED 127.0.0.1:9): check that it runs and that this machine can reach it (host 127.0.0.1 from PGHOST, port 9 from PGPORT).');
    const bad = openClient(only, { connectionString: "host=127.0.0.1 password='hunter2-secret' trailing-garbage" }, { timeoutMs: 5_000, env: {} });
    const e = await failure(bad.put('x', Buffer.from('{}')));
    expect(e.message).toBe(`the ledger store ${bad.location} cannot be opened: the PostgreSQL connection string is neither a postgres:// URL nor key=value pairs.`);
  });
});

describe('sslmode against a server without SSL', () => {
  test('disable and prefer connect (prefer falls back to plain); unset means prefer', async () => {
    for (const sslMode of ['disable', 'prefer', 'allow', undefined]) {
      expect(await roundTrip(open({ sslMode }))).toBe('{"ok":true}');
    }
  });

  test('require and verify-full fail with a clear message, from the location or PGSSLMODE in options.env', async () => {
    for (const [o, from] of [[{ sslMode: 'require' }, 'the ledger location'], [{ sslMode: 'verify-full' }, 'the ledger location'],
      [{ env: { HOME: HOME(), PGSSLMODE: 'require' } }, 'PGSSLMODE']] as Array<[Opening, string]>) {
      const c = open(o);
      const e = await failure(c.put('records/k/1.json', Buffer.from('{}')));
      expect(e.message).toBe(`the ledger store ${c.location} does not accept SSL connections, and sslmode ${o.sslMode ?? 'require'} (from ${from}` +
        `${from === 'PGSSLMODE' ? '' : ' (CDKTF_KEYFACTOR_LEDGER or KeyfactorDefaults ledger)'}) requires SSL: ` +
        'turn SSL on at the server, or set sslmode to prefer or disable (URL parameter, conn_str, or PGSSLMODE).');
      await c.close();
    }
  });
});

describe('sslmode against a server with SSL (a test CA)', () => {
  let caFile: string;
  beforeAll(async () => {
    ({ caFile } = await server.sslOn('IP:127.0.0.1'));
  });
  afterAll(async () => {
    await server.sslOff();
  });

  /** Whether the client's one connection is encrypted, as the server sees it. */
  async function encrypted(c: ObjectClient): Promise<boolean> {
    await c.put('records/k/1.json', Buffer.from('{}'));
    const rows = await server.query("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'cdktf-keyfactor'");
    await c.close();
    expect(rows.rows).toHaveLength(1);
    return rows.rows[0].ssl as boolean;
  }

  test('prefer (the default), allow and require encrypt without checking the certificate; disable does not encrypt', async () => {
    expect(await encrypted(open())).toBe(true);
    expect(await encrypted(open({ sslMode: 'prefer' }))).toBe(true);
    expect(await encrypted(open({ sslMode: 'allow' }))).toBe(true);
    expect(await encrypted(open({ sslMode: 'require' }))).toBe(true);
    expect(await encrypted(open({ env: { HOME: HOME(), PGSSLMODE: 'require' } }))).toBe(true);
    expect(await encrypted(open({ sslMode: 'disable' }))).toBe(false);
  });

  test('verify-full and verify-ca check the certificate against PGSSLROOTCERT, else ~/.postgresql/root.crt', async () => {
    expect(await encrypted(open({ sslMode: 'verify-full', env: { HOME: HOME(), PGSSLROOTCERT: caFile } }))).toBe(true);
    const home = HOME();
    fs.mkdirSync(path.join(home, '.postgresql'));
    fs.copyFileSync(caFile, path.join(home, '.postgresql', 'root.crt'));
    expect(await encrypted(open({ sslMode: 'verify-ca', env: { HOME: home } }))).toBe(true);
    const unchecked = open({ sslMode: 'verify-full' });
    const e = await failure(unchecked.get('x'));
    expect(e.message).toMatch(/^the ledger store .* presented a certificate that sslmode verify-full \(from the ledger location .*\) does not accept \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\): check PGSSLROOTCERT/);
    const absent = open({ sslMode: 'verify-ca', env: { HOME: HOME(), PGSSLROOTCERT: path.join(home, 'absent.crt') } });
    expect((await failure(absent.get('x'))).message).toContain(`cannot read the root certificate ${path.join(home, 'absent.crt')} (ENOENT): check PGSSLROOTCERT.`);
  });

  test('verify-ca takes a certificate that names another host; verify-full does not', async () => {
    await server.sslOn('DNS:db.example.test');
    const env = () => ({ HOME: HOME(), PGSSLROOTCERT: caFile });
    expect(await encrypted(open({ sslMode: 'verify-ca', env: env() }))).toBe(true);
    const e = await failure(open({ sslMode: 'verify-full', env: env() }).get('x'));
    expect(e.message).toMatch(/presented a certificate that sslmode verify-full .* does not accept \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });
});

describe('names and prefixes', () => {
  test('list and getUnder match prefixes literally (_ and % are not wildcards) and by code point', async () => {
    const c = open();
    const names = ['a_b/1', 'axb/2', 'a%b/3', 'azzb/4', 'a%/5', 'a_/6', 'a\\b/7', 'é/8', 'éa/9', 'z\u{10FFFF}/10', 'z\u{10FFFF}\u{10FFFF}', 'z\u{10FFFF}a', '{"x"}'];
    try {
      await Promise.all(names.map((name) => c.put(name, Buffer.from(`{"n":${JSON.stringify(name)}}`))));
      expect(await c.list('a_b/')).toEqual(['a_b/1']);
      expect(await c.list('a%')).toEqual(['a%/5', 'a%b/3']);
      expect(await c.list('a_')).toEqual(['a_/6', 'a_b/1']);
      expect(await c.list('a\\')).toEqual(['a\\b/7']);
      expect(await c.list('é')).toEqual(['é/8', 'éa/9']);
      expect(await c.list('z\u{10FFFF}')).toEqual(['z\u{10FFFF}/10', 'z\u{10FFFF}a', 'z\u{10FFFF}\u{10FFFF}']); // C order: code points
      expect(await c.list('z\u{10FFFF}\u{10FFFF}')).toEqual(['z\u{10FFFF}\u{10FFFF}']);
      expect((await c.list('')).sort()).toEqual([...names].sort());
      const under = await c.getUnder!(['a_', 'a%b/', 'é/', 'a_']);
      expect(under.map((o) => [o.name, o.data.toString()])).toEqual([['a%b/3', '{"n":"a%b/3"}'], ['a_/6', '{"n":"a_/6"}'], ['a_b/1', '{"n":"a_b/1"}'], ['é/8', '{"n":"é/8"}']]);
      expect(await c.getUnder!([])).toEqual([]);
      await c.delete(['a_b/1', "it's absent"]);
      expect(await c.list('a_')).toEqual(['a_/6']);
    } finally {
      await c.close();
    }
  });

  test('bytes that are not UTF-8 text are refused rather than stored altered', async () => {
    const c = open();
    try {
      const e = await failure(c.put('records/k/bin', Buffer.from([0x7b, 0xff, 0x7d])));
      expect(e.message).toContain('its bytes are not UTF-8 text');
      expect(await c.get('records/k/bin')).toBeUndefined();
    } finally {
      await c.close();
    }
  });
});

describe('the connection', () => {
  const backends = async () => (await server.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'cdktf-keyfactor'")).rows.map((r) => r.pid as number);
  /** The backends left once those of closed clients had time to exit. */
  const settled = async () => {
    for (let i = 0; i < 50 && (await backends()).length; i++) await new Promise((r) => setTimeout(r, 20));
    return backends();
  };

  test('one connection per client, reused; closed by close(); a connection the server drops is replaced', async () => {
    expect(await settled()).toEqual([]);
    const c = open();
    try {
      expect(await backends()).toEqual([]); // opening touches nothing
      await c.put('records/k/1.json', Buffer.from('{"v":1}'));
      const [first] = await backends();
      await Promise.all(Array.from({ length: 10 }, (_, i) => c.put(`records/k/${i}.json`, Buffer.from('{"v":1}'))));
      expect(await backends()).toEqual([first]);
      // Dropped while idle, then (most likely) while the next call is on its way: either way the call gets a new connection.
      await server.query('SELECT pg_terminate_backend($1)', [first]);
      expect((await c.get('records/k/1.json'))!.toString()).toBe('{"v":1}');
      const [second] = await backends();
      expect(second).not.toBe(first);
      const [, got] = await Promise.all([server.query('SELECT pg_terminate_backend($1)', [second]), c.get('records/k/2.json')]);
      expect(got!.toString()).toBe('{"v":1}');
      expect((await c.list('records/k/')).length).toBe(10);
    } finally {
      await c.close();
    }
    expect(await settled()).toEqual([]);
  });

  test('a statement held up by a lock fails within the time limit; the next call works on a new connection', async () => {
    const table = fresh('t');
    const c = open({ table, timeoutMs: 1500 });
    const locker = new Client({ host: server.host, port: server.port, user: server.superuser, password: server.password, database: 'postgres' });
    await locker.connect();
    try {
      await c.put('records/k/1.json', Buffer.from('{}'));
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE public."${table}" IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      const e = await failure(c.get('records/k/1.json'));
      expect(Date.now() - started).toBeLessThan(1500 + 1000);
      expect(e.message).toMatch(/^the ledger store .* did not (answer|finish a statement) within 1\.5s \(CDKTF_KEYFACTOR_LEDGER_TIMEOUT_SECONDS\)/);
      await locker.query('ROLLBACK');
      expect((await c.get('records/k/1.json'))!.toString()).toBe('{}');
    } finally {
      await locker.end();
      await c.close();
    }
  });

  test('a closed client refuses further calls', async () => {
    const c = open();
    await c.put('a', Buffer.from('{}'));
    await c.close();
    await c.close();
    expect((await failure(c.get('a'))).message).toContain('was used after its client was closed');
  });
});

describe('the bundled client (bundle/runner/ledger-postgres.cjs)', () => {
  test('a round trip through loadClientModule, with the source\'s messages', async () => {
    const bundled = loadClientModule('postgres');
    expect(await roundTrip(bundled.openClient(location(), { password: server.password }, { timeoutMs: 10_000, env: { HOME: HOME() } }))).toBe('{"ok":true}');
    const missing = bundled.openClient(location({ database: 'absent_db' }), { password: server.password }, { timeoutMs: 10_000, env: { HOME: HOME() } });
    const e = await failure(missing.get('x'));
    expect(e.name).toBe('LedgerStoreError');
    expect(e.message).toMatch(/^database "absent_db" does not exist on the server of the ledger store PostgreSQL table public\.t_\d+_\d+ .*: create it, or name another ledger store/);
  });

  test('a node process that used the bundled client and closed it exits on its own', () => {
    const table = fresh('t');
    const script = `
      const { openClient } = require(${JSON.stringify(clientModuleFile('postgres'))});
      const c = openClient(JSON.parse(process.env.KF_LOCATION), { password: process.env.KF_PASSWORD }, { timeoutMs: 10000, env: { HOME: process.env.HOME } });
      c.put('jobs/child', Buffer.from('r'))
        .then(() => c.list('jobs/'))
        .then((names) => { process.stdout.write(JSON.stringify(names)); return c.close(); })
        .catch((e) => { process.stderr.write(e.message); process.exitCode = 2; });`;
    const env = { PATH: process.env.PATH, HOME: HOME(), KF_LOCATION: JSON.stringify(location({ table })), KF_PASSWORD: server.password };
    const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 20_000 });
    expect(child.signal).toBeNull(); // not killed by the timeout: nothing held the event loop
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('["jobs/child"]');
    expect(child.status).toBe(0);
  });
});
