/**
 * The directory store: one JSON file per record on the machine that runs the apply (or a volume
 * it mounts). The default for a stack whose state is local, and where records wait when a shared
 * store cannot take them.
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
 * the old record or the new one.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { byStart, KEYED, LedgerEntry, parseRecord, serialize } from './records';
import { LedgerStore, LedgerStoreError, ReadOptions } from './store';
import { LEDGER_LOCATION_ENV } from '../../contract/environment';
import { RunnerError } from '../errors';

const RECORD_SUFFIX = '.record.json';

export class DirectoryStore implements LedgerStore {
  readonly type = 'directory';
  /** Record id -> the file it was read from, when that is not where it belongs (a ledger it could not tidy). */
  private readonly readFrom = new Map<string, string>();
  private readonly made = new Set<string>();
  private recorded?: Map<string, string>;

  constructor(readonly directory: string) {}

  get location(): string {
    return this.directory;
  }

  async put(entry: LedgerEntry): Promise<void> {
    this.putSync(entry);
  }

  /** put(), done before it returns: for the last write of a process that is being stopped. */
  putSync(entry: LedgerEntry): void {
    const file = this.readFrom.get(entry.recordId) ?? recordFile(this.directory, entry.recordId);
    this.makeDirectories(path.dirname(file));
    writeAtomically(file, serialize(entry));
  }

  async read(options: ReadOptions = {}): Promise<LedgerEntry[]> {
    return readLedgerDir(this.directory, options, (r, file) => {
      if (file !== recordFile(this.directory, r.recordId)) this.readFrom.set(r.recordId, file);
    });
  }

  async recordedJobs(jobIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    // All of it, once: a directory has no index of job GUIDs (only recovery after an interruption asks).
    if (!this.recorded) {
      const records = await this.read({ onUnreadable: () => undefined });
      this.recorded = new Map(records.flatMap((r) => r.jobIds.map((id) => [id.toLowerCase(), r.recordId] as const)));
    }
    return new Map(jobIds.map((id) => id.toLowerCase()).filter((id) => this.recorded!.has(id)).map((id) => [id, this.recorded!.get(id)!]));
  }

  async remove(records: readonly LedgerEntry[]): Promise<void> {
    for (const r of records) removeRecord(this.directory, r.recordId);
  }

  async close(): Promise<void> {}

  /**
   * Takes record `recordId` out of the directory for moving it elsewhere: the file is renamed (so a
   * concurrent mover finds it gone, and a concurrent write of the record makes a new file) and read.
   * `done()` deletes the claimed copy; `release()` puts it back unless a newer one was written since.
   * Undefined when the record is not there (moved by another run), or not readable.
   */
  claim(recordId: string): { record: LedgerEntry; done: () => void; release: () => void } | undefined {
    const file = [this.readFrom.get(recordId), recordFile(this.directory, recordId), path.join(this.directory, recordId + RECORD_SUFFIX)]
      .find((f) => f !== undefined && fs.existsSync(f));
    if (!file) return undefined;
    const claimed = `${file}.${randomBytes(4).toString('hex')}.claim`;
    try {
      fs.renameSync(file, claimed);
    } catch {
      return undefined;
    }
    const parsed = readRecord(claimed);
    if (typeof parsed !== 'object') {
      fs.renameSync(claimed, file);
      return undefined;
    }
    return {
      record: parsed,
      done: () => fs.rmSync(claimed, { force: true }),
      release: () => {
        if (fs.existsSync(file)) fs.rmSync(claimed, { force: true });
        else fs.renameSync(claimed, file);
      },
    };
  }

  /** Whether the ledger directory exists as a directory (a runner finds nothing in one that does not). */
  isDirectory(): boolean {
    return fs.statSync(this.directory, { throwIfNoEntry: false })?.isDirectory() === true;
  }

  private makeDirectories(shard: string): void {
    if (this.made.has(shard)) return;
    for (const [dir, make] of [
      [this.directory, () => fs.mkdirSync(this.directory, { recursive: true })],
      [shard, () => shard !== this.directory && makeShard(this.directory, shard)],
    ] as const) {
      try {
        make();
      } catch (e) {
        throw new LedgerStoreError(`cannot create the ledger directory ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
          `point ${LEDGER_LOCATION_ENV} (or KeyfactorDefaults' ledger) at a writable directory.`);
      }
    }
    this.made.add(shard);
  }
}

/** Writes `data` to `file` through a temporary file, fsync'd and renamed into place. */
function writeAtomically(file: string, data: Buffer): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o600);
    // A short write (file size limit, full disk) is retried until it fails with its error.
    for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    // A half-written temp file (full disk, file size limit) must not stay behind.
    fs.rmSync(tmp, { force: true });
    throw new LedgerStoreError(`cannot write ledger record ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
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

/** The subdirectory of the records of identity key `key`. */
const shardOf = (key: string) => key.slice(0, 2);

/** The file of record `recordId`: in its identity key's subdirectory (at the top for a record id without one). */
export function recordFile(directory: string, recordId: string): string {
  const key = KEYED.exec(recordId)?.[1];
  return key ? path.join(directory, shardOf(key), recordId + RECORD_SUFFIX) : path.join(directory, recordId + RECORD_SUFFIX);
}

/**
 * Reads the records of a ledger directory (oldest first); non-record file names are ignored. With
 * `identityKeys`, only those keys' subdirectories are listed, after the records an earlier version
 * left at the top are moved into theirs. `seen` learns the file each record was read from.
 */
export function readLedgerDir(directory: string, options: ReadOptions = {}, seen?: (r: LedgerEntry, file: string) => void): LedgerEntry[] {
  if (!fs.existsSync(directory)) return [];
  const stat = fs.statSync(directory);
  if (!stat.isDirectory()) throw new RunnerError(`the ledger location ${directory} is not a directory (set --ledger or ${LEDGER_LOCATION_ENV} to the ledger).`);
  const keys = options.identityKeys;
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
  const from = new Map<string, string>();
  for (const file of files) {
    const name = path.basename(file);
    if (!name.endsWith(RECORD_SUFFIX)) continue; // temp files, unrelated files
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
    records.set(name, parsed);
    from.set(name, where);
    written.set(name, fs.lstatSync(where, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  }
  if (seen) for (const [name, r] of records) seen(r, from.get(name)!);
  return [...records.values()].sort(byStart);
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
  return parseRecord(text);
}
