/**
 * The ledger: what every runner invocation did, one JSON file per record. Written by the runner;
 * read by the runner (job wait, report, recovery), the CLI and `Ledger`.
 *
 * A record's file is in a subdirectory named for the first two characters of its instance's
 * identity key (`<ledger>/3f/<recordId>.record.json`), as git keeps objects: a runner finds its
 * own instance's records by listing one subdirectory of 1/256 of the ledger, so a ledger of
 * years costs what a new one does. Records that earlier versions wrote at the top are moved into
 * their subdirectory by the next runner that looks (a rename, atomic; a racing mover finds the file
 * gone). The move is one way: earlier versions look only at the top.
 *
 * Each record is written to a temporary file, fsync'd and renamed into place, which is atomic on
 * the same filesystem: parallel provisioners (Terraform runs 10 at once) never interleave or
 * corrupt each other's writes, a reader never sees half a record, and a power cut keeps either
 * the old record or the new one. A record is written "in-flight" before the API call and
 * rewritten with the outcome after it, so an interrupted apply leaves a trace of what may have
 * been sent, which the next run of the same operation instance reconciles before sending again.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from './errors';
import { DEFAULT_LEDGER_DIRECTORY, LEDGER_ENV } from '../contract/environment';
import type { LedgerOrigin, LedgerRecord } from '../contract/ledger-record';

export type Outcome = 'in-flight' | 'succeeded' | 'failed' | 'skipped';

/** A ledger record as the runner writes it: the public LedgerRecord, with a typed outcome. */
export interface LedgerEntry extends LedgerRecord {
  readonly outcome: Outcome;
}

const RECORD_SUFFIX = '.record.json';

/** What identifies one operation instance across runs: same origin, construct, instance and spec. */
export type InstanceIdentity = Pick<LedgerEntry, 'stack' | 'constructPath' | 'instanceKey' | 'specHash'> & { readonly origin: LedgerOrigin };

/**
 * A short hash of an instance's identity, at the end of its records' file names: the runner
 * finds the earlier records of its own instance by name, without reading the whole ledger.
 */
export function identityKey(id: InstanceIdentity): string {
  const o = id.origin;
  return createHash('sha256')
    .update(JSON.stringify([o.host, o.apiPath, o.workspace, id.stack, id.constructPath, id.instanceKey ?? null, id.specHash]))
    .digest('hex').slice(0, 12);
}

export class LedgerWriter {
  /** `redact` scrubs the request, response and message of a record before it is written (a secret echoed in an answer). */
  constructor(public readonly directory: string, private readonly redact: (text: string) => string = (t) => t) {}

  /** Writes an in-flight record and returns a handle to complete it. */
  begin(base: Omit<LedgerEntry, 'recordId' | 'startedAt' | 'outcome' | 'jobIds' | 'request' | 'origin'> & { request?: Record<string, unknown>; origin: LedgerOrigin }): LedgerHandle {
    const key = identityKey(base);
    const shard = path.join(this.directory, shardOf(key));
    const steps = [
      [this.directory, () => fs.mkdirSync(this.directory, { recursive: true })],
      [shard, () => makeShard(this.directory, shard)],
    ] as const;
    for (const [dir, make] of steps) {
      try {
        make();
      } catch (e) {
        throw new RunnerError(`cannot create the ledger directory ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
          `point ${LEDGER_ENV} (or KeyfactorDefaults ledgerDirectory) at a writable directory.`);
      }
    }
    const startedAt = new Date().toISOString();
    const recordId = `${compactTime(new Date(startedAt))}-${process.pid}-${randomBytes(4).toString('hex')}-${key}`;
    const entry: LedgerEntry = { request: {}, ...base, recordId, startedAt, jobIds: [], outcome: 'in-flight' };
    const handle = new LedgerHandle(recordFile(this.directory, recordId), entry, this.redact);
    handle.write();
    return handle;
  }
}

/**
 * Creates a record subdirectory with its ledger's mode, not the umask's: on a ledger shared by a
 * group, the next user must be able to write into it too.
 */
function makeShard(directory: string, shard: string): void {
  if (fs.mkdirSync(shard, { recursive: true }) === undefined) return; // already there
  fs.chmodSync(shard, fs.statSync(directory).mode % 0o10000); // permission bits, setgid included
}

/** The identity key at the end of a record id or file name (before the suffix), if it has one. */
const KEYED = /-([0-9a-f]{12})(?:\.record\.json)?$/;

/** A time as record ids begin with it, e.g. 20261202T072956987Z. */
const compactTime = (d: Date) => d.toISOString().replace(/[-:.]/g, '');

/** The subdirectory of the records of identity key `key`. */
const shardOf = (key: string) => key.slice(0, 2);

/** The file of record `recordId`: in its identity key's subdirectory (at the top for a record id without one). */
export function recordFile(directory: string, recordId: string): string {
  const key = KEYED.exec(recordId)?.[1];
  return key ? path.join(directory, shardOf(key), recordId + RECORD_SUFFIX) : path.join(directory, recordId + RECORD_SUFFIX);
}

export class LedgerHandle {
  constructor(readonly file: string, private entry: LedgerEntry, private readonly redact: (text: string) => string = (t) => t) {}

  get current(): LedgerEntry {
    return this.entry;
  }

  /** Updates the record in place (atomically), e.g. with job GUIDs as soon as they are known. */
  update(fields: Partial<LedgerEntry>): void {
    this.entry = { ...this.entry, ...fields };
    this.write();
  }

  finish(outcome: Exclude<Outcome, 'in-flight'>, fields: Partial<LedgerEntry> = {}): void {
    this.update({ ...fields, outcome, finishedAt: new Date().toISOString() });
  }

  write(): void {
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    let fd: number | undefined;
    try {
      fd = fs.openSync(tmp, 'wx', 0o600);
      // Free text only: identity fields are never secret, and a redactor matching a secret's start must not alter them.
      const { request, response, message } = this.entry;
      const scrubbed = {
        ...this.entry, request: scrub(request, this.redact), response: scrub(response, this.redact), message: scrub(message, this.redact),
      };
      const data = Buffer.from(JSON.stringify(scrubbed, null, 2) + '\n');
      // A short write (file size limit, full disk) is retried until it fails with its error.
      for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(tmp, this.file);
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      // A half-written temp file (full disk, file size limit) must not stay behind.
      fs.rmSync(tmp, { force: true });
      throw new RunnerError(`cannot write ledger record ${this.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
  }
}

/** `value` with `redact` applied to every string in it. */
function scrub<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((x) => scrub(x, redact)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, redact)])) as T;
  return value;
}

/** How a reader treats a file it cannot use as a record. */
export interface ReadOptions {
  /**
   * Readers that decide nothing from a single record (listings, the job wait, `report`) pass
   * this: the file is skipped and named here. Without it, an unreadable record is an error.
   */
  readonly onUnreadable?: (file: string, problem: string) => void;
  /** Only files whose name ends with this (before the suffix) are read, e.g. an identity key. */
  readonly nameEndsWith?: string;
  /** Only files named for one of these identity keys are read (a reader of many instances). */
  readonly identityKeys?: ReadonlySet<string>;
}

/** The file each record was read from (a top-level one an earlier version wrote may not have moved). */
const READ_FROM = new WeakMap<LedgerEntry, string>();

/** Where `record` (as read by readLedgerDir) is kept: the file to rewrite it in. */
export function recordPath(directory: string, record: LedgerEntry): string {
  return READ_FROM.get(record) ?? recordFile(directory, record.recordId);
}

/**
 * Reads the records (oldest first); non-record file names are ignored. With `identityKeys` or
 * `nameEndsWith` naming an identity key, only those keys' subdirectories are listed, after the
 * records an earlier version left at the top are moved into theirs.
 */
export function readLedgerDir(directory: string, options: ReadOptions = {}): LedgerEntry[] {
  if (!fs.existsSync(directory)) return [];
  const stat = fs.statSync(directory);
  if (!stat.isDirectory()) throw new RunnerError(`the ledger location ${directory} is not a directory (set --ledger or ${LEDGER_ENV} to the ledger directory).`);
  const wanted = (options.nameEndsWith ?? '') + RECORD_SUFFIX;
  const endKey = options.nameEndsWith !== undefined ? KEYED.exec(options.nameEndsWith)?.[1] : undefined;
  const keys = options.identityKeys ?? (endKey ? new Set([endKey]) : undefined);
  const files: string[] = [];
  const top = fs.readdirSync(directory, { withFileTypes: true });
  if (keys) {
    // Top-level records (an earlier layout) move to their subdirectory first, every instance's, so
    // the top stays short; one that cannot be moved (a read-only ledger) is read where it is.
    for (const e of top) {
      const key = e.name.endsWith(RECORD_SUFFIX) ? KEYED.exec(e.name)?.[1] : undefined;
      if (!key) continue;
      const from = path.join(directory, e.name);
      if (!moveToShard(directory, from, key) && keys.has(key)) files.push(from);
    }
    for (const shard of new Set([...keys].map(shardOf))) {
      const dir = path.join(directory, shard);
      for (const name of readdirIfAny(dir)) files.push(path.join(dir, name));
    }
  } else {
    // The top's files before the subdirectories: a file moved in between is listed twice, never missed.
    for (const e of top) if (!isShardName(e.name)) files.push(path.join(directory, e.name));
    for (const e of fs.readdirSync(directory, { withFileTypes: true })) {
      if (!isShardName(e.name) || !e.isDirectory()) continue;
      for (const n of readdirIfAny(path.join(directory, e.name))) files.push(path.join(directory, e.name, n));
    }
  }
  // By file name (the record id): a record at the top and in its subdirectory (moved between the
  // listings, or a stale copy an earlier version left) is read once, from the newer file.
  const records = new Map<string, LedgerEntry>();
  const written = new Map<string, number>();
  for (const file of files) {
    const name = path.basename(file);
    if (!name.endsWith(wanted)) continue; // temp files, other instances' records, unrelated files
    if (records.has(name) && !((fs.lstatSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > written.get(name)!)) continue;
    // The identity key is the name's last part before the suffix: only those files are opened.
    if (keys && !keys.has(name.slice(name.lastIndexOf('-') + 1, -RECORD_SUFFIX.length))) continue;
    let where = file;
    let parsed = readRecord(file);
    if (parsed === undefined && path.dirname(file) === directory) {
      // Moved into its subdirectory since the listing, by another runner.
      where = recordFile(directory, name.slice(0, -RECORD_SUFFIX.length));
      parsed = readRecord(where);
    }
    if (parsed === undefined) continue; // removed since the listing (prune)
    if (typeof parsed === 'string') {
      if (!options.onUnreadable) throw new RunnerError(`ledger record ${where} ${parsed}; move it aside to continue.`);
      options.onUnreadable(where, parsed);
      continue;
    }
    READ_FROM.set(parsed, where);
    records.set(name, parsed);
    written.set(name, fs.lstatSync(where, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  }
  return [...records.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.recordId.localeCompare(b.recordId));
}

const isShardName = (name: string) => /^[0-9a-f]{2}$/.test(name);

function readdirIfAny(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}

/** Deletes record `recordId`, in its subdirectory or at the top where an earlier version wrote it. */
export function removeRecord(directory: string, recordId: string): void {
  fs.rmSync(recordFile(directory, recordId), { force: true });
  fs.rmSync(path.join(directory, recordId + RECORD_SUFFIX), { force: true });
}

/**
 * Moves a top-level record into its subdirectory; false when it stays where it is (a ledger it
 * cannot write). A copy already there that is newer (rewritten since) wins; otherwise the moved
 * one does, being the later write.
 */
function moveToShard(directory: string, from: string, key: string): boolean {
  const to = path.join(directory, shardOf(key), path.basename(from));
  try {
    makeShard(directory, path.dirname(to));
    const there = fs.statSync(to, { throwIfNoEntry: false });
    if (there && there.mtimeMs > fs.lstatSync(from).mtimeMs) fs.rmSync(from);
    // Another runner moving the same file at the same time: one rename wins, the other finds it gone.
    else fs.renameSync(from, to);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(to);
  }
}

/** The record in `file`, what is wrong with it, or undefined when there is no such file. */
function readRecord(file: string): LedgerEntry | string | undefined {
  let text: string;
  try {
    // A symlink, FIFO or device is never opened: it could block the reader or point anywhere.
    if (!fs.lstatSync(file).isFile()) return 'is not a regular file (a symlink, FIFO or device)';
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return `is not valid JSON (${(e as Error).message}): it was damaged outside cdktf-keyfactor`;
  }
  return isEntry(parsed) ? parsed : 'is not a cdktf-keyfactor record';
}

function isEntry(x: unknown): x is LedgerEntry {
  const r = x as LedgerEntry;
  return !!r && typeof r.recordId === 'string' && typeof r.operation === 'string' &&
    typeof r.constructPath === 'string' && Array.isArray(r.jobIds) && typeof r.outcome === 'string';
}

/** One operation instance across its runs and spec changes: origin, stack, construct path, instance key. */
export function instanceOf(r: LedgerRecord): string {
  const o = r.origin;
  return JSON.stringify([o?.host ?? null, o?.apiPath ?? null, o?.workspace ?? null, r.stack, r.constructPath, r.instanceKey ?? null]);
}

/** Whether a record belongs to `origin` (records from before origins were recorded match any). */
export function sameOrigin(record: LedgerRecord, origin: LedgerOrigin): boolean {
  const o = record.origin;
  return !o || (o.host === origin.host && o.apiPath === origin.apiPath && o.workspace === origin.workspace);
}

/** The warning printed for a skipped record. */
export function warnUnreadable(file: string, problem: string): void {
  process.stderr.write(`cdktf-keyfactor: WARNING: skipped ledger record ${file}: it ${problem}; move it aside to silence this.\n`);
}

/**
 * The ledger directory a CLI command reads (`--ledger`, else the default), which must exist: a
 * command that shows or prunes nothing because the path is wrong would look like an empty ledger.
 */
export function existingLedger(directory?: string): string {
  const dir = directory ?? Ledger.defaultDirectory();
  if (!fs.existsSync(dir)) throw new RunnerError(`no ledger at ${dir} (pass --ledger DIR or set ${LEDGER_ENV}).`);
  return dir;
}

/** Reads the ledger the runner writes during `terraform apply`. */
export class Ledger {
  /**
   * The ledger directory a reader uses by default: `CDKTF_KEYFACTOR_LEDGER_DIR` if set, else
   * `.keyfactor-ledger` in the current directory (where `cdktf synth` runs by default).
   */
  public static defaultDirectory(): string {
    return path.resolve(process.env[LEDGER_ENV] || DEFAULT_LEDGER_DIRECTORY);
  }

  /**
   * Every record in the ledger, oldest first. A file that is not a readable record is skipped,
   * with a warning naming it on stderr.
   * @param directory the ledger directory; defaults to `Ledger.defaultDirectory()`
   */
  public static read(directory?: string): LedgerRecord[] {
    return readLedgerDir(directory ?? Ledger.defaultDirectory(), { onUnreadable: warnUnreadable });
  }
}
