/**
 * Input rules shared by the two halves: synth checks literal props with them, and the runner
 * checks, with the same rules and the same wording, the props that were Terraform references
 * at synth (`SpecBase.checks`), once Terraform has evaluated them. No cdktf imports.
 */
import { GUID } from './guid';

export const MAX_INT32 = 2147483647;

/** What a deferred check tests; operation-specific rules (`distinguishedName`, `san`) live with the runner. */
export type CheckRule = 'guid' | 'int' | 'nonEmptyString' | 'string' | 'boolean' | 'utcTime' | 'timeOfDay' | 'distinguishedName' | 'san' | 'differs';

/**
 * A prop that was a Terraform reference (or a `${...}` template) at synth: the runner checks the
 * value Terraform evaluated, found at `at` in the spec (dot path, e.g. `store.alias`), and reports
 * it as the prop `field` (e.g. `stores[1].alias`), as synth would have.
 */
export interface DeferredCheck {
  readonly field: string;
  readonly at: string;
  readonly rule: CheckRule;
  readonly min?: number;
  readonly max?: number;
  /** `san`: the SAN type; `differs`: what the two values are, e.g. `certificate`. */
  readonly kind?: string;
  /** `differs`: where the value it must differ from is, its prop name, and what to do instead. */
  readonly other?: string;
  readonly otherField?: string;
  readonly hint?: string;
}

export interface Problem {
  readonly field: string;
  readonly detail: string;
}

export function guidProblem(value: unknown): string | undefined {
  return typeof value === 'string' && GUID.test(value) ? undefined : `must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got ${show(value)}`;
}

export function intProblem(value: unknown, min: number, max = MAX_INT32): string | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : `must be an integer from ${min} to ${max}, got ${show(value)}`;
}

export function nonEmptyStringProblem(value: unknown, maxLength?: number): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `must be a non-empty string, got ${show(value)}`;
  return maxLength !== undefined && value.length > maxLength ? `must be at most ${maxLength} characters, got ${value.length}` : undefined;
}

export function stringProblem(value: unknown, maxLength?: number): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${show(value)}`;
  return maxLength !== undefined && value.length > maxLength ? `must be at most ${maxLength} characters, got ${value.length}` : undefined;
}

export function booleanProblem(value: unknown): string | undefined {
  return typeof value === 'boolean' ? undefined : `must be true or false, got ${show(value)}`;
}

export function sameValueProblem(what: string, otherField: string, value: unknown, hint: string): string {
  return `is the same ${what} as ${otherField} (${show(value)}); ${hint}`;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?Z$/;

/** Returns why `value` is not an ISO 8601 UTC time, or undefined when it is one. */
export function utcTimeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got ${show(value)}`;
  if (/([+-]\d{2}:?\d{2})$/.test(value) || (/T/.test(value) && !/Z$/.test(value))) {
    return `must be in UTC (end with "Z", no offset or local time), got ${show(value)}`;
  }
  const m = ISO_UTC.exec(value);
  if (!m) return `must be an ISO 8601 UTC time like 2026-11-25T23:30:00Z, got ${show(value)}`;
  const [, y, mo, d, h, mi, s = '00'] = m;
  // Date.UTC rolls over (Feb 30 is Mar 2, 24:00 the next day) and reads years 0-99 as 19xx:
  // only a real date-time comes back unchanged.
  const date = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  return date.toISOString().slice(0, 19) === `${y}-${mo}-${d}T${h}:${mi}:${s}` ? undefined : `is not a real date-time: ${show(value)}`;
}

const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/**
 * The date a time of day is sent with: Command takes a date-time for daily, weekly and monthly
 * schedules and uses its time of day. Fixed, so the spec (and its hash) is the same every synth.
 */
export const TIME_OF_DAY_DATE = '1970-01-01';

/**
 * A recurring schedule's time: a UTC time of day (`03:00`, `03:00:30`), sent as a date-time on
 * TIME_OF_DAY_DATE, or an ISO 8601 UTC date-time whose date Command does not use, sent as given.
 */
export function timeOfDay(value: unknown): { problem: string } | { time: string } {
  const m = typeof value === 'string' ? TIME_OF_DAY.exec(value) : null;
  if (m) return { time: `${TIME_OF_DAY_DATE}T${m[1].padStart(2, '0')}:${m[2]}:${m[3] ?? '00'}Z` };
  if (typeof value === 'string' && !/T/.test(value)) {
    return { problem: `must be a UTC time of day like 03:00 or 23:30:00 (or an ISO 8601 UTC date-time, whose date is not used), got ${show(value)}` };
  }
  const problem = utcTimeProblem(value);
  return problem ? { problem: problem.replace(/^must be an ISO 8601 UTC time like [^,]+/, 'must be a UTC time of day like 03:00 (or an ISO 8601 UTC date-time, whose date is not used)') } : { time: value as string };
}

/**
 * The runner's text for a construct's invalid props once Terraform evaluated them: construct path,
 * field, what to fix (at synth, the Validator reports the same problems as cdktf error annotations).
 */
export function formatProblems(path: string, kind: string, problems: readonly Problem[]): string {
  const [first, ...more] = problems;
  if (more.length === 0) return `${path}: ${first.field}: ${first.detail} (in ${kind})`;
  return `${path}: ${kind} has ${problems.length} invalid props:${problems.map((e) => `\n  - ${e.field}: ${e.detail}`).join('')}`;
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
