import { KeyfactorClient, settingsFromEnv } from './client';
import { SecretResolver } from './secrets';

/** What an operation module gets from the runner. */
export class RunContext {
  readonly secrets: SecretResolver;
  private clientInstance?: KeyfactorClient;

  constructor(private readonly env: NodeJS.ProcessEnv, readonly label: string) {
    this.secrets = new SecretResolver(env);
  }

  /** The API client, built on first use (a skipped undo needs no credentials). */
  get client(): KeyfactorClient {
    this.clientInstance ??= new KeyfactorClient(settingsFromEnv(this.env, this.secrets), this.secrets);
    return this.clientInstance;
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

/** One operation's apply half: what runs on create and on destroy. */
export interface OperationModule<S> {
  create(ctx: RunContext, spec: S): Promise<OperationResult>;
  destroy?(ctx: RunContext, spec: S): Promise<OperationResult>;
}
