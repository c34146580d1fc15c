import { Validator } from './validation';
import { DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_WAIT_TIMEOUT_SECONDS, WaitSpec } from '../contract/spec';

/** Options of `WaitPolicy.forCompletion`. */
export interface WaitForCompletionOptions {
  /**
   * How long to wait for all of the construct's jobs before failing the apply.
   * @default 600 (10 minutes)
   */
  readonly timeoutSeconds?: number;
  /**
   * How often to poll Command's job history (one request per poll for all the construct's jobs).
   * @default 5
   */
  readonly pollIntervalSeconds?: number;
  /**
   * Also wait, within the same timeout, until Command's next inventory of each store shows the
   * certificate there (`GET /Certificates/{id}?includeLocations=true`), and fail the apply naming
   * the store when a job succeeded but its certificate did not arrive. A completed job alone does
   * not prove delivery. For constructs that put a known certificate in stores
   * (CertificateDeployment, PfxReplacement with certificateId); a stack default applies to those only.
   * @default false
   */
  readonly verifyDelivery?: boolean;
}

/**
 * Whether an apply waits for the orchestrator jobs it created. Either way the job GUIDs are
 * recorded in the ledger first.
 */
export class WaitPolicy {
  /** Record the job GUIDs and return at once (the default). */
  public static noWait(): WaitPolicy {
    return new WaitPolicy({ mode: 'none' });
  }

  /**
   * Wait until every job is final (Completed or Acknowledged), failing the apply on a job
   * whose Result is Failure, or when the timeout passes with jobs still pending.
   */
  public static forCompletion(options: WaitForCompletionOptions = {}): WaitPolicy {
    return new WaitPolicy({
      mode: 'completion',
      timeoutSeconds: options.timeoutSeconds ?? DEFAULT_WAIT_TIMEOUT_SECONDS,
      pollIntervalSeconds: options.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS,
      // Absent unless asked, so existing specs keep their exact form.
      ...(options.verifyDelivery === undefined ? {} : { verifyDelivery: options.verifyDelivery as true }),
    });
  }

  private constructor(private readonly spec: WaitSpec) {}

  /** @internal */
  public _render(v: Validator, field: string): WaitSpec {
    if (this.spec.mode === 'completion') {
      const { timeoutSeconds, pollIntervalSeconds } = this.spec;
      if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0) || timeoutSeconds > 86400) {
        v.fail(`${field}.timeoutSeconds`, `must be more than 0 and at most 86400, got ${JSON.stringify(timeoutSeconds)}`);
      }
      if (typeof pollIntervalSeconds !== 'number' || !(pollIntervalSeconds > 0) || pollIntervalSeconds > timeoutSeconds) {
        v.fail(`${field}.pollIntervalSeconds`, `must be more than 0 and at most timeoutSeconds, got ${JSON.stringify(pollIntervalSeconds)}`);
      }
      const verify = this.spec.verifyDelivery as unknown;
      if (verify !== undefined && typeof verify !== 'boolean') {
        v.fail(`${field}.verifyDelivery`, `must be true or false, got ${JSON.stringify(verify)}`);
      } else if (verify === false) {
        const { verifyDelivery: _off, ...jobsOnly } = this.spec;
        return jobsOnly;
      }
    }
    return this.spec;
  }
}
