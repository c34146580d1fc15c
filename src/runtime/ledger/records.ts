/**
 * Ledger records as every store keeps them: one JSON document per runner invocation and carrier
 * instance, named by a record id that ends with its instance's identity key, so a store can list
 * one instance's records without reading the others.
 */
import { createHash, randomBytes } from 'crypto';
import type { LedgerOrigin, LedgerRecord } from '../../contract/ledger-record';

export type Outcome = 'in-flight' | 'succeeded' | 'failed' | 'skipped';

/** A ledger record as the runner writes it: the public LedgerRecord, with a typed outcome. */
export interface LedgerEntry extends LedgerRecord {
  readonly outcome: Outcome;
  /**
   * How many times the record was written: each write of it (by its run, or by a later run that
   * settles it) counts one up, so of two copies (a store's and one that waited locally) the later
   * write is known. Absent in records of versions before it.
   */
  readonly rev?: number;
}

/** What identifies one operation instance across runs: same origin, construct, instance and spec. */
export type InstanceIdentity = Pick<LedgerEntry, 'stack' | 'constructPath' | 'instanceKey' | 'specHash'> & { readonly origin: LedgerOrigin };

/**
 * A short hash of an instance's identity, at the end of its records' ids: the runner finds the
 * earlier records of its own instance by name, without reading the whole ledger.
 */
export function identityKey(id: InstanceIdentity): string {
  const o = id.origin;
  return createHash('sha256')
    .update(JSON.stringify([o.host, o.apiPath, o.workspace, id.stack, id.constructPath, id.instanceKey ?? null, id.specHash]))
    .digest('hex').slice(0, 12);
}

/** The identity key at the end of a record id or file name (before the suffix), if it has one. */
export const KEYED = /-([0-9a-f]{12})(?:\.record\.json)?$/;

export function keyOfRecordId(recordId: string): string | undefined {
  return KEYED.exec(recordId)?.[1];
}

/** A new record id: its start time (so ids sort by it), this process, randomness and the identity key. */
export function newRecordId(startedAt: Date, key: string): string {
  return `${startedAt.toISOString().replace(/[-:.]/g, '')}-${process.pid}-${randomBytes(4).toString('hex')}-${key}`;
}

/** `entry` with `redact` applied to its free text (request, response, message) before it is stored. */
export function scrubbed(entry: LedgerEntry, redact: (text: string) => string): LedgerEntry {
  // Free text only: identity fields are never secret, and a redactor matching a secret's start must not alter them.
  const { request, response, message } = entry;
  return { ...entry, request: scrub(request, redact), response: scrub(response, redact), message: scrub(message, redact) };
}

function scrub<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((x) => scrub(x, redact)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, redact)])) as T;
  return value;
}

/** A record's stored form. */
export function serialize(entry: LedgerEntry): Buffer {
  return Buffer.from(JSON.stringify(entry, null, 2) + '\n');
}

/** The record in `text`, or what is wrong with it. */
export function parseRecord(text: string): LedgerEntry | string {
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

/** Oldest first (record ids break ties): the order every reader sees. */
export function byStart(a: LedgerEntry, b: LedgerEntry): number {
  return a.startedAt.localeCompare(b.startedAt) || a.recordId.localeCompare(b.recordId);
}

/**
 * Whether `local` (a copy that waited on this machine) should replace `stored` (the store's copy of
 * the same record): the store lacks it, or `local` is a later write of it. Copies of versions
 * without revisions: `local` wins when the store holds it open and `local` is settled, or lacks
 * job GUIDs or an answer `local` holds.
 */
export function newer(local: LedgerEntry, stored: LedgerEntry | undefined): boolean {
  if (!stored) return true;
  if (local.rev !== undefined && stored.rev !== undefined) return local.rev > stored.rev;
  if (isOpen(stored) && !isOpen(local)) return true;
  if (local.response !== undefined && stored.response === undefined) return true;
  const known = new Set(stored.jobIds.map((id) => id.toLowerCase()));
  return local.jobIds.some((id) => !known.has(id.toLowerCase()));
}

/** Still open: the next run of its instance checks Command before sending anything. */
export function isOpen(r: LedgerRecord): boolean {
  return r.outcome === 'in-flight' || r.unsettled === true;
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
export function warnUnreadable(where: string, problem: string): void {
  process.stderr.write(`cdktf-keyfactor: WARNING: skipped ledger record ${where}: it ${problem}; move it aside to silence this.\n`);
}
