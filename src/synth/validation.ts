import { Construct } from 'constructs';
import { GUID } from '../contract/guid';

/**
 * A synth-time input error. The message always names the construct path and the field, so
 * a user with many constructs knows exactly which prop to fix.
 *
 * TypeScript and JavaScript only (jsii cannot expose a subclass of Error): in other languages it
 * arrives as the runtime's JavaScript error with the same message.
 *
 * @jsii ignore
 */
export class KeyfactorValidationError extends Error {
  constructor(
    public readonly constructPath: string,
    /** The first invalid field. */
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'KeyfactorValidationError';
  }
}

/** Collects the validation errors of one construct and throws them together. */
export class Validator {
  private readonly errors: { field: string; detail: string }[] = [];
  constructor(private readonly scope: Construct, private readonly kind: string) {}

  fail(field: string, detail: string): void {
    this.errors.push({ field, detail });
  }

  guid(field: string, value: unknown): boolean {
    if (typeof value !== 'string' || !GUID.test(value)) {
      this.fail(field, `must be a GUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6, got ${show(value)}`);
      return false;
    }
    return true;
  }

  int(field: string, value: unknown, min: number, max = 2147483647): boolean {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer from ${min} to ${max}, got ${show(value)}`);
      return false;
    }
    return true;
  }

  /** ISO 8601 date-time in UTC, e.g. 2026-11-25T23:30:00Z. */
  utcTime(field: string, value: unknown): boolean {
    const problem = utcTimeProblem(value);
    if (problem) {
      this.fail(field, problem);
      return false;
    }
    return true;
  }

  nonEmptyString(field: string, value: unknown, maxLength?: number): boolean {
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(field, `must be a non-empty string, got ${show(value)}`);
      return false;
    }
    if (maxLength !== undefined && value.length > maxLength) {
      this.fail(field, `must be at most ${maxLength} characters, got ${value.length}`);
      return false;
    }
    return true;
  }

  /** Throws every collected error at once, naming the construct. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const path = this.scope.node.path;
    const [first, ...more] = this.errors;
    if (more.length === 0) throw new KeyfactorValidationError(path, first.field, `${path}: ${first.field}: ${first.detail} (in ${this.kind})`);
    const list = this.errors.map((e) => `\n  - ${e.field}: ${e.detail}`).join('');
    throw new KeyfactorValidationError(path, first.field, `${path}: ${this.kind} has ${this.errors.length} invalid props:${list}`);
  }
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

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
