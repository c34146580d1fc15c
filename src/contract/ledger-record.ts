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
