/**
 * The ledger: what every runner invocation did, one JSON file per record in one directory.
 * Written by the runner; read by the runner (job wait, report, recovery), the CLI and `Ledger`.
 *
 * Each record is written to a temporary file and renamed into place, which is atomic on the
 * same filesystem: parallel provisioners (Terraform runs 10 at once) never interleave or
 * corrupt each other's writes, and a reader never sees half a record. A record is written
 * "in-flight" before the API call and rewritten with the outcome after it, so an interrupted
 * apply still leaves a trace of what may have been sent.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { RunnerError } from './errors';
import { DEFAULT_LEDGER_DIRECTORY, LEDGER_ENV } from '../contract/environment';
import type { LedgerRecord } from '../contract/ledger-record';

export type Outcome = 'in-flight' | 'succeeded' | 'failed' | 'skipped';

/** A ledger record as the runner writes it: the public LedgerRecord, with a typed outcome. */
export interface LedgerEntry extends LedgerRecord {
  readonly outcome: Outcome;
}

const RECORD_SUFFIX = '.record.json';

export class LedgerWriter {
  constructor(public readonly directory: string) {}

  /** Writes an in-flight record and returns a handle to complete it. */
  begin(base: Omit<LedgerEntry, 'recordId' | 'startedAt' | 'outcome' | 'jobIds' | 'request'> & { request?: Record<string, unknown> }): LedgerHandle {
    try {
      fs.mkdirSync(this.directory, { recursive: true });
    } catch (e) {
      throw new RunnerError(`cannot create the ledger directory ${this.directory} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
        `point ${LEDGER_ENV} (or KeyfactorDefaults ledgerDirectory) at a writable directory.`);
    }
    const startedAt = new Date().toISOString();
    const recordId = `${startedAt.replace(/[-:.]/g, '')}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const entry: LedgerEntry = { request: {}, ...base, recordId, startedAt, jobIds: [], outcome: 'in-flight' };
    const handle = new LedgerHandle(path.join(this.directory, recordId + RECORD_SUFFIX), entry);
    handle.write();
    return handle;
  }
}

export class LedgerHandle {
  constructor(private readonly file: string, private entry: LedgerEntry) {}

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
    try {
      fs.writeFileSync(tmp, JSON.stringify(this.entry, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch (e) {
      // A half-written temp file (full disk, file size limit) must not stay behind.
      fs.rmSync(tmp, { force: true });
      throw new RunnerError(`cannot write ledger record ${this.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
  }
}

/** Reads every record, oldest first. Throws a clear error for files that are not records. */
export function readLedgerDir(directory: string): LedgerEntry[] {
  if (!fs.existsSync(directory)) return [];
  const stat = fs.statSync(directory);
  if (!stat.isDirectory()) throw new RunnerError(`the ledger location ${directory} is not a directory (set --ledger or ${LEDGER_ENV} to the ledger directory).`);
  const records: LedgerEntry[] = [];
  for (const name of fs.readdirSync(directory)) {
    if (!name.endsWith(RECORD_SUFFIX)) continue; // temp files and unrelated files are not records
    const file = path.join(directory, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new RunnerError(`ledger record ${file} is not valid JSON (${(e as Error).message}): it was damaged outside cdktf-keyfactor; move it aside to continue.`);
    }
    if (!isEntry(parsed)) throw new RunnerError(`ledger record ${file} is not a cdktf-keyfactor record: move it aside to continue.`);
    records.push(parsed);
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.recordId.localeCompare(b.recordId));
}

function isEntry(x: unknown): x is LedgerEntry {
  const r = x as LedgerEntry;
  return !!r && typeof r.recordId === 'string' && typeof r.operation === 'string' &&
    typeof r.constructPath === 'string' && Array.isArray(r.jobIds) && typeof r.outcome === 'string';
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
   * Every record in the ledger, oldest first.
   * @param directory the ledger directory; defaults to `Ledger.defaultDirectory()`
   */
  public static read(directory?: string): LedgerRecord[] {
    return readLedgerDir(directory ?? Ledger.defaultDirectory());
  }
}
