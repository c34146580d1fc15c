import { KeyfactorClient } from './api/client';
import { LedgerHandle } from './ledger';
import { SecretResolver } from './secrets';
import { RunnerSettings } from './settings';
import type { SpecBase } from '../contract/spec';

/** What an operation's apply half gets from the runner. */
export class RunContext {
  readonly secrets: SecretResolver;
  /** The ledger record of this run, once written. */
  record?: LedgerHandle;
  private clientInstance?: KeyfactorClient;

  constructor(readonly settings: RunnerSettings, readonly label: string) {
    this.secrets = new SecretResolver(settings.env);
  }

  get ledgerDirectory(): string {
    return this.settings.ledgerDirectory;
  }

  /** The API client, built on first use (a skipped undo needs no credentials). */
  get client(): KeyfactorClient {
    this.clientInstance ??= new KeyfactorClient(this.settings.connection(this.secrets), this.secrets, { log: (line) => this.log(line) });
    return this.clientInstance;
  }

  /**
   * Records what is already known (job GUIDs) in the ledger at once, before a wait that may
   * fail or be interrupted: GUIDs of jobs Command created are never lost.
   */
  onPartialResult(result: OperationResult): void {
    this.record?.update({ request: result.request, jobIds: result.jobIds ?? [], response: result.response });
  }

  /** A line in the apply log, prefixed with the construct, scrubbed of secrets. */
  log(message: string): void {
    process.stdout.write(this.secrets.redact(`cdktf-keyfactor: ${this.label}: ${message}`) + '\n');
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
  create(ctx: RunContext, spec: S): Promise<OperationResult>;
  destroy?(ctx: RunContext, spec: S): Promise<OperationResult>;
}
