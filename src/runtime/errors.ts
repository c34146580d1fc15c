/** An error the runner reports as a clear message (no stack trace): bad settings, API errors. */
export class RunnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerError';
  }
}

/** A Keyfactor API call that failed. Carries only safe facts: never request headers or bodies. */
export class KeyfactorApiError extends RunnerError {
  constructor(
    message: string,
    public readonly status?: number,
    public readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'KeyfactorApiError';
  }
}

/**
 * A run that ends without knowing whether Command acted on its request. Its record is marked
 * `unsettled`, so the next run looks the job up before sending anything again.
 */
export class MayHaveActedError extends RunnerError {
  constructor(message: string) {
    super(message);
    this.name = 'MayHaveActedError';
  }
}
