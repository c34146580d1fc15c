import * as path from 'path';
import { DEFAULT_LEDGER_DIRECTORY, LEDGER_ENV } from './core/operation-spec';
import { readLedgerDir } from './runner/ledger';

/** One thing the runner did for one construct (and carrier instance). Never holds a secret. */
export interface LedgerRecord {
  /** Unique id of the record (also its file name). */
  readonly recordId: string;
  /** Operation, e.g. `CertificateDeployment`. */
  readonly operation: string;
  /** `create` or `destroy`. */
  readonly phase: string;
  /** Stack name. */
  readonly stack: string;
  /** Construct path. */
  readonly constructPath: string;
  /**
   * Carrier instance key (the store GUID for deployments).
   * @default - single-instance construct
   */
  readonly instanceKey?: string;
  /** Hash of the construct's non-secret spec. */
  readonly specHash: string;
  /** What was sent, summarised, with secrets replaced by their references. */
  readonly request: { [key: string]: any };
  /** Orchestrator job GUIDs Command returned. */
  readonly jobIds: string[];
  /**
   * Other facts from the response.
   * @default - none
   */
  readonly response?: { [key: string]: any };
  /** ISO 8601 start time. */
  readonly startedAt: string;
  /**
   * ISO 8601 end time.
   * @default - still in flight or interrupted
   */
  readonly finishedAt?: string;
  /** `in-flight`, `succeeded`, `failed` or `skipped`. */
  readonly outcome: string;
  /**
   * Error or note.
   * @default - none
   */
  readonly message?: string;
}

/** Reads the ledger the runner writes during `terraform apply`. */
export class Ledger {
  /**
   * The ledger directory a reader uses by default: `KEYFACTOR_LEDGER_DIR` if set, else
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
