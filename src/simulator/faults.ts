/**
 * Fault injection: rules that make matching requests slow, fail, or lose
 * their connection, the way a load balancer, IIS or a flaky network would.
 * Probabilities use a seeded PRNG so a test run is repeatable.
 */

export const FAULT_KINDS = [
  'latency', 'status503', 'status429', 'status502', 'status504',
  'resetBeforeProcessing', 'resetAfterProcessing', 'holdAfterProcessing', 'malformedJson', 'unexpectedBody', 'htmlError',
] as const;

/**
 * - latency: the request is processed at once, the response is sent latencyMs later.
 * - status503 / status502 / status504 / status429: answered without processing (429 with Retry-After).
 * - resetBeforeProcessing: the connection is destroyed; nothing happened.
 * - resetAfterProcessing: the request IS processed (jobs created...), then the connection is
 *   destroyed without a response: the client cannot tell whether it worked.
 * - holdAfterProcessing: the request IS processed, then its answer is held for holdMs (default:
 *   until the client goes away or the simulator stops), as when a pipeline is cancelled while
 *   Command's answer is on its way. The recorded request gets `held: true` once processed.
 * - malformedJson: processed, answered 200 with a truncated JSON body.
 * - unexpectedBody: processed, answered 200 with valid JSON that is not what the API documents
 *   (a gateway or a changed API answering for Command).
 * - htmlError: answered 500 with an IIS HTML error page, without processing.
 */
export type FaultKind = typeof FAULT_KINDS[number];

export interface FaultRule {
  /** Which requests: method (any case) and a path suffix at a segment boundary; default every request. */
  route?: { method?: string; pathSuffix?: string };
  kind: FaultKind;
  /** How many matching requests it affects; default unlimited. */
  count?: number;
  /** For latency; default 1000. */
  latencyMs?: number;
  /** For holdAfterProcessing: how long the answer is held before it is sent; default forever. */
  holdMs?: number;
  /** For status429 (and 503): the Retry-After header; default 1. */
  retryAfterSeconds?: number;
  /** Chance (0..1) that a matching request is affected; default 1. */
  probability?: number;
}

/** A rule in force, with how often it has hit. */
export interface ActiveFault {
  readonly rule: FaultRule;
  /** Requests it has affected so far. */
  hits: number;
}

/** What happens to one request. */
export interface FaultDecision {
  latencyMs: number;
  /** The effect other than latency, if any. */
  rule?: FaultRule;
  /** What to record on the request. */
  recorded?: FaultKind;
}

/** Park-Miller minimal standard generator: plain arithmetic, repeatable from a seed. */
export class SeededRandom {
  private static normalize(seed: number): number {
    const value = Math.abs(Math.trunc(seed)) % 2147483647;
    return value === 0 ? 1 : value;
  }

  private state: number;

  constructor(private readonly seed: number) {
    this.state = SeededRandom.normalize(seed);
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state * 48271) % 2147483647;
    return (this.state - 1) / 2147483646;
  }

  restart(): void {
    this.state = SeededRandom.normalize(this.seed);
  }
}

function validate(rule: FaultRule): void {
  if (!FAULT_KINDS.includes(rule.kind)) throw new Error(`Unknown fault kind '${String(rule.kind)}'`);
  const { count, probability, latencyMs, retryAfterSeconds, holdMs } = rule;
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) throw new Error('fault count must be a non-negative integer');
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) throw new Error('fault probability must be between 0 and 1');
  if (latencyMs !== undefined && !(latencyMs >= 0)) throw new Error('fault latencyMs must be >= 0');
  if (holdMs !== undefined && !(holdMs >= 0)) throw new Error('fault holdMs must be >= 0');
  if (retryAfterSeconds !== undefined && !(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0)) {
    throw new Error('fault retryAfterSeconds must be a non-negative integer');
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  const route = rule.route;
  if (route?.method && route.method.toUpperCase() !== method.toUpperCase()) return false;
  if (route?.pathSuffix) {
    const suffix = `/${route.pathSuffix.replace(/^\/+|\/+$/g, '')}`.toLowerCase();
    if (!path.replace(/\/+$/, '').toLowerCase().endsWith(suffix)) return false;
  }
  return true;
}

/** The fault rules of one simulator. */
export class FaultInjector {
  private readonly active: ActiveFault[] = [];
  private readonly random: SeededRandom;

  constructor(seed = 1) {
    this.random = new SeededRandom(seed);
  }

  /** Adds rules; earlier rules win when several match. */
  inject(...rules: FaultRule[]): ActiveFault[] {
    rules.forEach(validate);
    const added = rules.map((rule) => ({ rule: { ...rule }, hits: 0 }));
    this.active.push(...added);
    return added;
  }

  /** Removes every rule and restarts the PRNG, so the next test sees the same sequence. */
  clear(): void {
    this.active.length = 0;
    this.random.restart();
  }

  /** The rules in force, with their hit counts. */
  rules(): ActiveFault[] {
    return [...this.active];
  }

  /** Decides what happens to a request: at most one latency rule and one other rule apply. */
  decide(method: string, path: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    let delayed = false;
    for (const fault of this.active) {
      const { rule } = fault;
      const isLatency = rule.kind === 'latency';
      if ((isLatency && delayed) || (!isLatency && decision.rule)) continue;
      if (!matches(rule, method, path)) continue;
      if (rule.count !== undefined && fault.hits >= rule.count) continue;
      // Draw only for rules with a probability, so adding a plain rule leaves the sequence alone.
      if (rule.probability !== undefined && this.random.next() >= rule.probability) continue;
      fault.hits++;
      if (isLatency) {
        delayed = true;
        decision.latencyMs = rule.latencyMs ?? 1000;
      } else {
        decision.rule = rule;
      }
    }
    decision.recorded = decision.rule?.kind ?? (delayed ? 'latency' : undefined);
    return decision;
  }
}
