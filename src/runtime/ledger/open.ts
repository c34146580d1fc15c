/**
 * Opening the chosen ledger, and the two local directories beside a shared store: `unsent/`,
 * where a record waits when the store could not take it after Command answered (the next run
 * that reads the ledger moves every such record in), and the local ledger itself, where versions
 * before shared stores kept every record (the next run of an instance moves that instance's in).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DirectoryStore } from './directory';
import type { LedgerChoice } from './locate';
import { ObjectStore } from './objects';
import { keyOfRecordId, LedgerEntry, newer } from './records';
import type { LedgerStore, ReadOptions } from './store';
import { SECRET_CREDENTIALS } from './stores/configuration';
import { loadClientModule } from './stores/load';
import { LEDGER_TIMEOUT_ENV } from '../../contract/environment';
import { describeLocation, LedgerLocation, locationUrl } from '../../contract/ledger-location';
import { RunnerError } from '../errors';

export interface OpenLedger {
  readonly store: LedgerStore;
  /** The local ledger directory beside a shared store; undefined when the store is that directory. */
  readonly local?: DirectoryStore;
  /** Where records wait that the shared store could not take (`<local>/unsent/<store>`); undefined with no shared store. */
  readonly unsent?: DirectoryStore;
  readonly choice: LedgerChoice;
}

/** Default limit of one store request, retries included. */
export const DEFAULT_LEDGER_TIMEOUT_SECONDS = 30;

export function ledgerTimeoutMs(env: NodeJS.ProcessEnv): number {
  const text = env[LEDGER_TIMEOUT_ENV]?.trim();
  if (!text) return DEFAULT_LEDGER_TIMEOUT_SECONDS * 1000;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new RunnerError(`${LEDGER_TIMEOUT_ENV} must be a positive number of seconds, got ${JSON.stringify(env[LEDGER_TIMEOUT_ENV])}.`);
  return Math.round(n * 1000);
}

/**
 * Opens the store of `choice`. Its secret credentials go to `protect` first, so no message can show them.
 * Nothing connects yet: the first read or write does.
 */
export function openLedger(
  choice: LedgerChoice, env: NodeJS.ProcessEnv, protect: (secret: string | undefined) => void = () => undefined,
): OpenLedger {
  Object.entries(choice.credentials).filter(([name]) => SECRET_CREDENTIALS.has(name)).forEach(([, value]) => protect(value));
  const l = choice.location;
  if (l.type === 'directory') {
    const store = new DirectoryStore(l.path);
    return { store, ...(path.resolve(l.path) === path.resolve(choice.local) ? {} : besideShared(choice.local, l)), choice };
  }
  const client = loadClientModule(l.type).openClient(l, choice.credentials, { timeoutMs: ledgerTimeoutMs(env), env });
  return { store: new ObjectStore(l.type, client), ...besideShared(choice.local, l), choice };
}

/**
 * The local ledger and the unsent records of `location`: each shared store its own subdirectory
 * of `unsent/`, so a record waits for the store it belongs in (stacks of one project share the
 * local directory, and may keep their ledgers in different stores).
 */
function besideShared(local: string, location: LedgerLocation): Pick<OpenLedger, 'local' | 'unsent'> {
  const key = createHash('sha256').update(locationUrl(location)).digest('hex').slice(0, 12);
  return { local: new DirectoryStore(local), unsent: new DirectoryStore(path.join(local, UNSENT, key)) };
}

/** The subdirectory of the local ledger where records wait that a shared store could not take. */
export const UNSENT = 'unsent';

/**
 * Reads records as `store.read` does, after moving in what waits locally: every unsent record,
 * and the local ledger's records of the same instances (`options.identityKeys` is required: a
 * full read moves nothing). A local record goes in when the store lacks it or holds it still open
 * while the local one is settled; it is then removed locally. A store that cannot take them fails
 * the read: nothing is sent without knowing what an earlier run did.
 */
export async function readWithLocal(
  ledger: OpenLedger, options: ReadOptions & { identityKeys: ReadonlySet<string> },
): Promise<LedgerEntry[]> {
  if (ledger.unsent?.isDirectory()) {
    const unsent = await ledger.unsent.read({ onUnreadable: options.onUnreadable ?? (() => undefined) });
    if (unsent.length) await moveIn(ledger.store, ledger.unsent, unsent);
  }
  if (ledger.local) {
    const waiting = await ledger.local.read({ identityKeys: options.identityKeys, onUnreadable: options.onUnreadable });
    if (waiting.length) await moveIn(ledger.store, ledger.local, waiting, options.identityKeys);
  }
  return ledger.store.read(options);
}

/**
 * Puts `records` into `store` where they are newer than its copies; with `from`, moves them:
 * each file is claimed (renamed) before it is put and removed after, so a copy written meanwhile
 * (the run that kept it, writing it again) stays for the next move, and two runs moving at once
 * never both act on one file. Returns how many went in.
 */
export async function moveIn(
  store: LedgerStore, from: DirectoryStore | undefined, records: LedgerEntry[], keys?: ReadonlySet<string>,
): Promise<number> {
  const identityKeys = keys ?? new Set(records.map((r) => keyOfRecordId(r.recordId) ?? '_'));
  const there = new Map((await store.read({ identityKeys, onUnreadable: () => undefined })).map((r) => [r.recordId, r]));
  let moved = 0;
  for (const listed of records) {
    const claim = from?.claim(listed.recordId);
    if (from && !claim) continue; // another run is moving it
    const r = claim?.record ?? listed;
    try {
      if (newer(r, there.get(r.recordId))) {
        await store.put(r);
        moved++;
      }
    } catch (e) {
      claim?.release();
      throw e;
    }
    claim?.done();
  }
  return moved;
}

/**
 * Prints `notice` once per apply (per terraform process and stack), not once per provisioner: the
 * first runner to create the marker prints it. Keyed by terraform's pid and start time, so a
 * later apply that reuses the pid warns again.
 */
export function noticeOncePerApply(notice: string, stackDir: string, write: (line: string) => void): void {
  const parent = process.ppid;
  let started = '';
  try {
    started = fs.readFileSync(`/proc/${parent}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] ?? '';
  } catch {
    // No /proc (macOS): the pid alone.
  }
  const id = createHash('sha256').update(`${parent}\n${started}\n${path.resolve(stackDir)}`).digest('hex').slice(0, 24);
  const marker = path.join(os.tmpdir(), `cdktf-keyfactor-notice-${id}`);
  try {
    fs.writeFileSync(marker, '', { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    // A temporary directory we cannot write: better every time than never.
  }
  write(notice);
}

/** The location of an open ledger in one line. */
export function ledgerName(ledger: OpenLedger): string {
  return describeLocation(ledger.choice.location);
}
