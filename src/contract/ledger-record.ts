/** Where a record's operation ran: the Command it talked to and the Terraform workspace. */
export interface LedgerOrigin {
  /** Command's host (and port), lower case, e.g. `kf.example.com` or `127.0.0.1:8443`. */
  readonly host: string;
  /** The API path, e.g. `KeyfactorAPI`. */
  readonly apiPath: string;
  /** The Terraform workspace, e.g. `default`. */
  readonly workspace: string;
}

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
  /**
   * Which Command and workspace the record belongs to. Readers that act on records (the job
   * wait, `report`, recovery, the CLI by default) use only those of the current origin.
   * @default - a record written before origins were recorded: matches any origin
   */
  readonly origin?: LedgerOrigin;
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
   * ISO 8601 time just before the run first sent its job-creating request. A run stopped
   * without it never sent one; with it, the next run looks for its job from this time on.
   * @default - no job-creating request was sent
   */
  readonly sendingAt?: string;
  /**
   * True when the run ended without knowing whether Command acted on its request (its answer was
   * lost and the lookup found nothing). Like an `in-flight` record, it is checked in JobHistory by
   * the next run of the same instance before anything is sent again.
   * @default false
   */
  readonly unsettled?: boolean;
  /**
   * Error or note.
   * @default - none
   */
  readonly message?: string;
}
