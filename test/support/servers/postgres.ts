/**
 * A real PostgreSQL server for tests: a fresh cluster (initdb) in a temp dir under os.tmpdir(),
 * on 127.0.0.1 at a free port, with a superuser `postgres` that logs in by password (SCRAM).
 * initdb and pg_ctl refuse to run as root: as root they run as the `postgres` user (runuser), and
 * the per-run temp root (mode 0700, root's) is opened for traversal only (0711) so that user can
 * reach its cluster below it; nothing there becomes listable or readable by others. The cluster
 * stays under the per-run root so global teardown removes it, and stops it first if a test could not.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client, escapeLiteral, QueryResult } from 'pg';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly superuser: string;
  readonly password: string;
  /** The cluster's directory (data/ and server.log in it). */
  readonly dir: string;
  readonly logFile: string;
  /** One statement as the superuser, on its own connection. */
  query(sql: string, values?: unknown[], database?: string): Promise<QueryResult>;
  /**
   * Turns SSL on (a reload, no restart) with a fresh certificate naming `subjectAltName` (e.g.
   * `IP:127.0.0.1`), signed by the server's own test CA, whose certificate file it returns.
   */
  sslOn(subjectAltName: string): Promise<{ caFile: string }>;
  sslOff(): Promise<void>;
  /** Stops the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

/** The directory holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/<v>/bin, else the PATH. */
export function postgresBinaries(): string {
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...versions.map((v) => path.join(debian, v, 'bin')), ...(process.env.PATH ?? '').split(path.delimiter)];
  const found = candidates.find((d) => d && fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'pg_ctl')));
  if (!found) throw new Error('PostgreSQL server programs (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH: install the postgresql package');
  return found;
}

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server program, as the `postgres` user when we are root. */
function run(bin: string, args: string[], cwd: string): string {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  const [file, argv] = asRoot() ? ['runuser', ['-u', SUPERUSER, '--', bin, ...args]] : [bin, args];
  return execFileSync(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, SUPERUSER]).toString().trim());
}

/** As root: lets the postgres user traverse down to `dir` (o+x on the temp root only), and checks every parent allows it. */
function openPathFor(dir: string): void {
  const tmp = fs.realpathSync(os.tmpdir());
  /* eslint-disable no-bitwise -- permission bits */
  const st = fs.statSync(tmp);
  if ((st.mode & 0o001) === 0) fs.chmodSync(tmp, (st.mode & 0o777) | 0o011);
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) {
      throw new Error(`the postgres user cannot reach ${dir}: ${d} is not traversable by others; set TMPDIR to a directory under one that is`);
    }
    if (d === path.dirname(d)) break;
  }
  /* eslint-enable no-bitwise */
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a fresh cluster; `settings` are extra server settings (`-c name=value`). */
export async function startPostgres(options: { settings?: Record<string, string> } = {}): Promise<PostgresServer> {
  const bin = postgresBinaries();
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pg-')));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const password = crypto.randomBytes(18).toString('hex');
  fs.writeFileSync(path.join(dir, 'pw'), password, { mode: 0o600 });
  if (asRoot()) {
    openPathFor(dir);
    const [uid, gid] = [idOf('-u'), idOf('-g')];
    fs.chownSync(dir, uid, gid);
    fs.chownSync(path.join(dir, 'pw'), uid, gid);
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], dir);
    } catch {
      stopClusterAt(data); // by its pid, whatever pg_ctl made of it
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(path.join(bin, 'initdb'), ['-D', data, '-U', SUPERUSER, `--pwfile=${path.join(dir, 'pw')}`, '-A', 'scram-sha-256', '--auth-local=trust',
      '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], dir);
    fs.rmSync(path.join(dir, 'pw'));
    const settings = { listen_addresses: '127.0.0.1', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...options.settings };
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const flags = [`-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', '30', '-o', flags, 'start'], dir);
      } catch (e) {
        const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
        // Another process took the port between our probe and the server's bind: another one.
        if (attempt < 5 && /could not bind|Address already in use/.test(log)) {
          fs.rmSync(logFile, { force: true });
          continue;
        }
        throw new Error(`PostgreSQL did not start: ${(e as Error).message}\n${log.slice(-2000)}`);
      }
      const query = async (sql: string, values?: unknown[], database = 'postgres') => {
        const c = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database, ssl: false });
        await c.connect();
        try {
          return await c.query(sql, values);
        } finally {
          await c.end();
        }
      };
      let certificates = 0;
      /** Applies settings by a reload, and waits until new connections see them. */
      const reload = async (changes: Record<string, string | undefined>) => {
        for (const [name, value] of Object.entries(changes)) {
          await query(value === undefined ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = ${escapeLiteral(value)}`);
        }
        await query('SELECT pg_reload_conf()');
        const defaults: Record<string, string> = { ssl: 'off', ssl_key_file: 'server.key', ssl_cert_file: 'server.crt' };
        for (const [name, value] of Object.entries(changes)) {
          for (let i = 0; (await query(`SHOW ${name}`)).rows[0][name] !== (value ?? defaults[name]); i++) {
            if (i === 100) throw new Error(`PostgreSQL did not take ${name} = ${value} on reload: see ${logFile}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      return {
        host: '127.0.0.1',
        port,
        superuser: SUPERUSER,
        password,
        dir,
        logFile,
        query,
        async sslOn(subjectAltName) {
          const ssl = path.join(dir, 'ssl');
          const caFile = path.join(ssl, 'ca.crt');
          const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
          if (!fs.existsSync(caFile)) {
            fs.mkdirSync(ssl);
            openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=cdktf-keyfactor test CA'], ssl);
          }
          const name = `server-${++certificates}`;
          fs.writeFileSync(path.join(ssl, `${name}.ext`), `subjectAltName=${subjectAltName}\n`);
          openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=cdktf-keyfactor test server'], ssl);
          openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2',
            '-extfile', `${name}.ext`], ssl);
          // The server reads its key only when its own user owns it and no one else may read it.
          fs.chmodSync(path.join(ssl, `${name}.key`), 0o600);
          if (asRoot()) for (const f of ['', `${name}.key`, `${name}.crt`]) fs.chownSync(path.join(ssl, f), idOf('-u'), idOf('-g'));
          await reload({ ssl: 'on', ssl_key_file: path.join(ssl, `${name}.key`), ssl_cert_file: path.join(ssl, `${name}.crt`) });
          return { caFile };
        },
        async sslOff() {
          await reload({ ssl: undefined, ssl_key_file: undefined, ssl_cert_file: undefined });
        },
        stop,
      };
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Whether `pid` runs; on Linux a zombie does not (a postmaster exits into one until init reaps it, which may take a while). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}

/**
 * Stops the server of the data directory `data` by the pid in its postmaster.pid (immediate
 * shutdown, then SIGKILL), synchronously. On Linux the process must still have that directory as
 * its working directory, as a postmaster does, so a pid reused since is left alone.
 */
export function stopClusterAt(data: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  if (fs.existsSync('/proc/self/cwd')) {
    try {
      if (fs.realpathSync(`/proc/${pid}/cwd`) !== fs.realpathSync(data)) return;
    } catch {
      return;
    }
  }
  for (const [signal, waitMs] of [['SIGQUIT', 5000], ['SIGKILL', 2000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < waitMs && alive(pid); waited += 50) sleep(50);
    if (!alive(pid)) return;
  }
}

/** Stops every cluster whose postmaster.pid lies under `root` (global teardown, before the root is removed). */
export function stopClustersUnder(root: string): void {
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === 'postmaster.pid')) {
      stopClusterAt(dir);
      return;
    }
    if (depth === 0) return;
    for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name), depth - 1);
  };
  walk(root, 4);
}
