/**
 * OAuth access tokens shared by the runner processes of an apply (one per carrier instance), so
 * an apply of 200 operations asks the identity provider once per token lifetime, not 200 times.
 *
 * A file per (token URL, client id, scopes, audience) in an owner-only directory. The file name
 * is a hash of those (no secret in it); the file holds the token, when to stop using it, and an
 * HMAC of the key under the client secret, so only a process that knows the secret uses it. A lock
 * file makes one process fetch while the others wait for its token. Threat model: README
 * "OAuth token cache".
 */
import { createHash, createHmac, timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface CachedToken {
  readonly value: string;
  /** When to stop using it (ms since the epoch): a little before it expires. */
  readonly renewAt: number;
}

/** Who the token is for: what the cache is keyed by, and the secret that binds an entry. */
export interface TokenIdentity {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly audience?: string;
  readonly clientSecret: string;
}

/** A lock older than this belongs to a process that died fetching: taken over. */
const STALE_LOCK_MS = 30_000;
const WAIT_STEP_MS = 50;

/**
 * Locks this process holds. A runner stopped by a signal exits without running `finally`; the
 * exit hook removes them so the next runner does not wait for a fetch nobody is making.
 */
const HELD = new Set<string>();
let exitHook = false;
function hold(lock: string): void {
  HELD.add(lock);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => HELD.forEach((l) => fs.rmSync(l, { force: true })));
}

/** Whether the lock's holder (the PID it names, on this machine) has gone. */
function holderGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lock, 'utf8').trim());
  } catch {
    return false; // released meanwhile: the next round sees
  }
  if (!Number.isInteger(pid) || pid <= 0) return false; // being written: its age decides
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class TokenCache {
  /**
   * The cache in `directory`, created owner-only if absent; undefined (with the reason) when the
   * directory cannot be made or is not owner-only: sharing tokens through it would expose them.
   */
  public static open(directory: string): { cache?: TokenCache; problem?: string } {
    try {
      fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
      const stat = fs.lstatSync(directory);
      const uid = process.getuid?.();
      if (!stat.isDirectory()) return { problem: `${directory} is not a directory` };
      if (uid !== undefined && stat.uid !== uid) return { problem: `${directory} belongs to another user` };
      // Permission bits for group and others: none may be set.
      const mode = stat.mode % 0o1000;
      if (mode % 0o100 !== 0) return { problem: `${directory} is open to other users (mode ${mode.toString(8)}; it must be 700)` };
      return { cache: new TokenCache(directory) };
    } catch (e) {
      return { problem: `${directory}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  }

  private constructor(readonly directory: string) {}

  /** The entry's file name: a hash of who the token is for, never the secret. */
  public fileOf(id: TokenIdentity): string {
    const key = keyOf(id);
    return path.join(this.directory, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.token.json`);
  }

  /** A usable token for `id`, if cached; a stale or unreadable entry is removed. */
  public read(id: TokenIdentity): CachedToken | undefined {
    const file = this.fileOf(id);
    let entry: { value?: unknown; renewAt?: unknown; binding?: unknown };
    try {
      entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.remove(id);
      return undefined;
    }
    const expected = Buffer.from(binding(id));
    const given = Buffer.from(typeof entry.binding === 'string' ? entry.binding : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined; // another secret's: not ours to use
    if (typeof entry.value !== 'string' || typeof entry.renewAt !== 'number' || Date.now() >= entry.renewAt) {
      this.remove(id);
      return undefined;
    }
    return { value: entry.value, renewAt: entry.renewAt };
  }

  /** Stores the token (owner-only file, written whole: a reader never sees half of it). */
  public write(id: TokenIdentity, token: CachedToken): void {
    const file = this.fileOf(id);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, JSON.stringify({ value: token.value, renewAt: token.renewAt, binding: binding(id) }), { mode: 0o600, flag: 'wx' });
      fs.renameSync(temp, file);
    } catch {
      fs.rmSync(temp, { force: true });
    }
  }

  /** Drops the entry (only if it still holds `value`, when given: a newer token stays). */
  public remove(id: TokenIdentity, value?: string): void {
    const file = this.fileOf(id);
    if (value !== undefined && this.read(id)?.value !== value) return;
    fs.rmSync(file, { force: true });
  }

  /**
   * Runs `fetch` holding the entry's lock, unless another process holds it: then waits (up to
   * `waitMs`) for the token it stores. Returns the token either way.
   */
  public async shared(id: TokenIdentity, fetch: () => Promise<CachedToken>, waitMs: number): Promise<CachedToken> {
    const lock = `${this.fileOf(id)}.lock`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const cached = this.read(id);
      if (cached) return cached;
      let held = false;
      try {
        fs.writeFileSync(lock, String(process.pid), { mode: 0o600, flag: 'wx' });
        held = true;
        hold(lock);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return fetch(); // cannot lock here: fetch our own
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > STALE_LOCK_MS || holderGone(lock)) {
          fs.rmSync(lock, { force: true });
          if (!fs.existsSync(lock)) continue;
        }
      }
      if (held) {
        try {
          // Stored while we were taking the lock?
          const meanwhile = this.read(id);
          if (meanwhile) return meanwhile;
          const token = await fetch();
          this.write(id, token);
          return token;
        } finally {
          fs.rmSync(lock, { force: true });
          HELD.delete(lock);
        }
      }
      if (Date.now() >= deadline) return fetch(); // the holder is slow: do not wait forever
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
    }
  }
}

function keyOf(id: TokenIdentity): string {
  return JSON.stringify([id.tokenUrl, id.clientId, [...id.scopes].sort(), id.audience ?? null]);
}

/** HMAC of the key under the client secret: proves the writer knew the secret, reveals nothing of it. */
function binding(id: TokenIdentity): string {
  return createHmac('sha256', id.clientSecret).update(keyOf(id)).digest('hex');
}
