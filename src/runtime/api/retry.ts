/**
 * Retries with exponential backoff and jitter, honouring Retry-After, within a total time budget.
 * Which failures may be retried is decided by the caller (see client.ts); this file only waits.
 */
import { ENV, RetryPolicy } from '../settings';

/** What one attempt came to: a result, or a failure that may be retried. */
export type Attempt<T> =
  | { readonly done: T }
  | {
    /** Why, for the log line: e.g. "HTTP 503", "ECONNREFUSED". */
    readonly retry: string;
    /** The error to throw if no further attempt is made. */
    readonly error: Error;
    /** From Retry-After. */
    readonly retryAfterMs?: number;
    /** Retry at once (e.g. after refreshing an access token). */
    readonly immediate?: boolean;
    /** A shorter budget for this kind of failure (a refused connection), with why it is short. */
    readonly budget?: { readonly ms: number; readonly why: string };
  };

/** Equal jitter: half the exponential delay, plus a random part of the other half. */
export function backoffMs(retryNumber: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** (retryNumber - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Runs `attempt` until it is done, it throws, or the budget is spent; logs one line per retry,
 * e.g. `retrying GET /x after HTTP 503 (attempt 2, waiting 0.5s)`.
 */
export async function withRetries<T>(
  what: string, policy: RetryPolicy, log: (line: string) => void, attempt: (n: number) => Promise<Attempt<T>>,
): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = policy.now ?? Date.now;
  const start = now();
  let delays = 0;
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if ('done' in result) return result.done;
    const wait = result.immediate ? 0 : result.retryAfterMs ?? backoffMs(++delays, policy, policy.random);
    const elapsed = now() - start;
    if (!result.immediate && (policy.budgetMs <= 0 || elapsed + wait > policy.budgetMs)) {
      throw giveUp(result.error, n, elapsed, policy, result.retryAfterMs);
    }
    if (!result.immediate && result.budget && elapsed + wait > result.budget.ms) {
      result.error.message += ` (gave up after ${n} attempt${n === 1 ? '' : 's'} in ${formatSeconds(elapsed)}: ${result.budget.why})`;
      throw result.error;
    }
    log(`retrying ${what} after ${result.retry} (attempt ${n + 1}, waiting ${formatSeconds(wait)})`);
    if (wait > 0) await sleep(wait);
  }
}

function giveUp(error: Error, attempts: number, elapsedMs: number, policy: RetryPolicy, retryAfterMs?: number): Error {
  if (policy.budgetMs <= 0) return error;
  // Given up with a Retry-After only because it reaches past the budget.
  const why = retryAfterMs !== undefined
    ? `the server asked to wait ${formatSeconds(retryAfterMs)} (Retry-After), more than is left of the retry budget`
    : 'the retry budget is spent';
  const note = ` (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${formatSeconds(elapsedMs)}: ${why}; ` +
    `${ENV.retryMaxSeconds}=${policy.budgetMs / 1000} sets it)`;
  error.message += note;
  return error;
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 0))}s`;
}
