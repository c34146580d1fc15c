import { KeyfactorClient } from './api/client';
import { LedgerEntry, LedgerHandle, ledgerName, openLedger, OpenLedger } from './ledger';
import { printable } from './printable';
import { SecretResolver } from './secrets';
import { RunnerSettings } from './settings';
import type { LedgerRecord } from '../contract/ledger-record';
import type { SpecBase } from '../contract/spec';

/**
 * Earlier runs of the same operation instance (origin, construct, instance, spec, phase) that
 * never recorded an outcome: killed or cancelled after they may have sent their request.
 */
export interface EarlierAttempt {
  /** When the first of them was about to send: anything it created is in JobHistory from then on. */
  readonly since: Date;
  /** When the last of them was about to send: a job it created started no later than this plus its retries. */
  readonly lastSentAt: Date;
  /** Job GUIDs they recorded before they stopped (Command had answered). */
  readonly jobIds: string[];
  /** The response facts they recorded, if Command had answered. */
  readonly response?: Record<string, unknown>;
  readonly recordIds: string[];
}

/** What an operation's apply half gets from the runner. */
export class RunContext {
  readonly secrets: SecretResolver;
  /** The ledger record of this run, once written. */
  record?: LedgerHandle;
  /** Unfinished records of earlier runs of this instance, settled once this run knows what they did. */
  earlier: LedgerHandle[] = [];
  private clientInstance?: KeyfactorClient;
  /** Job GUIDs already printed. */
  private readonly announced = new Set<string>();

  /** The stack's ledger (and the local directory beside a shared store). */
  readonly ledger: OpenLedger;

  constructor(readonly settings: RunnerSettings, readonly label: string) {
    this.secrets = new SecretResolver(settings.env);
    this.ledger = openLedger(settings.ledger, settings.env, (secret) => this.secrets.protect(secret));
  }

  /** The API client, built on first use (a skipped undo needs no credentials). */
  get client(): KeyfactorClient {
    this.clientInstance ??= new KeyfactorClient(this.settings.connection(this.secrets), this.secrets, { log: (line) => this.log(line) });
    return this.clientInstance;
  }

  /** The earlier unfinished attempt of this instance, if any (see EarlierAttempt). */
  earlierAttempt(): EarlierAttempt | undefined {
    if (this.earlier.length === 0) return undefined;
    const records: LedgerEntry[] = this.earlier.map((h) => h.current);
    const answered = records.filter((r) => r.jobIds.length > 0 || r.response !== undefined).pop();
    const sent = records.map((r) => Date.parse(r.sendingAt ?? r.startedAt));
    return {
      since: new Date(Math.min(...sent)),
      lastSentAt: new Date(Math.max(...sent)),
      jobIds: [...new Set(records.flatMap((r) => r.jobIds))],
      response: answered?.response,
      recordIds: records.map((r) => r.recordId),
    };
  }

  /**
   * Closes the earlier unfinished records with what this run found out about them. A ledger
   * that cannot be written is a warning: this run's own record says the same.
   */
  async settleEarlier(finding: string, handles: LedgerHandle[] = this.earlier): Promise<void> {
    this.earlier = this.earlier.filter((h) => !handles.includes(h));
    for (const h of handles) {
      const message = `interrupted before its outcome was recorded; ${finding} (record ${this.record?.current.recordId ?? '?'})`;
      await this.keep(h, () => h.finish('failed', { unsettled: false, message }), `could not close the earlier ledger record ${h.current.recordId}`);
    }
  }

  /**
   * Notes in the ledger that a job-creating request is about to be sent (once per run): a run
   * stopped before this point sent nothing, and the next one need not look for its job. A ledger
   * that cannot take the note stops the run here, before anything is sent.
   */
  async markSending(): Promise<void> {
    if (this.record && !this.record.current.sendingAt) await this.record.update({ sendingAt: new Date().toISOString() });
  }

  /**
   * Records what is already known (job GUIDs) in the ledger at once, before a wait that may
   * fail or be interrupted. The GUIDs are printed first, so a ledger that cannot be written
   * loses nothing: the apply log has them, and the record waits in the local directory.
   */
  async onPartialResult(result: OperationResult): Promise<void> {
    this.announce(result.jobIds);
    const record = this.record;
    if (!record) return;
    await this.keep(record, () => record.update({ request: result.request, jobIds: result.jobIds ?? [], response: result.response }),
      `The operation went on; its job GUIDs are in this log: ${(result.jobIds ?? []).join(', ') || 'none'}`);
  }

  /**
   * A write after Command may have acted, which must not fail the step (Terraform would send the
   * request again): when a shared store cannot take it, the record waits in the local `unsent`
   * directory for the next run that reads the ledger (or `ledger copy`) to move it in, with a loud
   * warning; when that fails too, the warning says what is lost. Returns whether the store took it.
   */
  async keep(handle: LedgerHandle, write: () => Promise<void>, context: string): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      const problem = (e as Error).message;
      const unsent = this.ledger.unsent;
      if (unsent) {
        try {
          unsent.putSync(handle.written);
          this.warn(`the ledger store ${ledgerName(this.ledger)} could not take record ${handle.current.recordId} (${problem}); it is kept in ` +
            `${unsent.directory} on this machine, and the next run that reads the ledger here moves it in (or run \`npx cdktf-keyfactor ledger copy ` +
            `--from ${unsent.directory}\`). Job GUIDs: ${handle.current.jobIds.join(', ') || 'none'}.`);
          return false;
        } catch (localError) {
          this.warn(`${problem} ${context}. The local directory could not take it either: ${(localError as Error).message}`);
          return false;
        }
      }
      this.warn(`${problem} ${context}.`);
      return false;
    }
  }

  /** Prints job GUIDs the moment Command returns them (each once), before any ledger write. */
  announce(jobIds: readonly string[] = []): void {
    const fresh = jobIds.filter((id) => !this.announced.has(id));
    if (fresh.length === 0) return;
    fresh.forEach((id) => this.announced.add(id));
    this.log(`job GUID${fresh.length > 1 ? 's' : ''} from Command: ${fresh.join(', ')}`);
  }

  /** A line in the apply log, prefixed with the construct, scrubbed of secrets. */
  log(message: string): void {
    process.stdout.write(printable(this.secrets.redact(`cdktf-keyfactor: ${this.label}: ${message}`)) + '\n');
  }

  /** A warning on stderr, which Terraform shows even when it hides a step's stdout. */
  warn(message: string): void {
    process.stderr.write(printable(this.secrets.redact(`cdktf-keyfactor: ${this.label}: WARNING: ${message}`)) + '\n');
  }
}

/** What an operation reports back for the ledger. */
export interface OperationResult {
  readonly request: Record<string, unknown>;
  readonly jobIds?: string[];
  readonly response?: Record<string, unknown>;
  readonly outcome?: 'succeeded' | 'skipped';
  readonly message?: string;
}

/** One operation's apply half: what runs on create and, where there is an undo, on destroy. */
export interface OperationModule<S extends SpecBase> {
  /**
   * What create puts in place stays until the instance's destroy step runs, and that step always
   * writes a record (an undo, or a skip). So a create of an instance whose last record is a
   * succeeded create of the same spec is Terraform running it again without knowing it succeeded
   * (its process was killed after the ledger write, by a cancel): it adopts that run's jobs.
   */
  readonly keptUntilUndone?: boolean;
  create(ctx: RunContext, spec: S): Promise<OperationResult>;
  destroy?(ctx: RunContext, spec: S): Promise<OperationResult>;
  /**
   * Whether `live` (configured now) owns what the undo of `deleted` would act on: a renamed or
   * moved construct, whose target the undo of its old self must not touch.
   */
  sharesUndoTarget?(deleted: S, live: S): boolean;
  /**
   * `live` with the target values Terraform evaluated at its create, as its ledger record holds
   * them (a spec in the configuration shows a Terraform reference as null); undefined when the
   * record does not say.
   */
  evaluatedFrom?(live: S, record: LedgerRecord): S | undefined;
}
