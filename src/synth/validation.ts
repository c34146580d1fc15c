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
    public readonly field: string,
    detail: string,
  ) {
    super(`${constructPath}: ${field}: ${detail}`);
    this.name = 'KeyfactorValidationError';
  }
}

/** Collects the validation errors of one construct and throws them together. */
export class Validator {
  private readonly errors: string[] = [];
  constructor(private readonly scope: Construct, private readonly kind: string) {}

  fail(field: string, detail: string): void {
    this.errors.push(`${field}: ${detail}`);
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
    if (this.errors.length === 1) {
      const [field, ...rest] = this.errors[0].split(': ');
      throw new KeyfactorValidationError(path, field, `${rest.join(': ')} (in ${this.kind})`);
    }
    const err = new KeyfactorValidationError(path, this.errors[0].split(': ')[0], '');
    err.message = `${path}: ${this.kind} has ${this.errors.length} invalid props:\n  - ${this.errors.join('\n  - ')}`;
    throw err;
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
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s || 0));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || (s || 0) > 59) {
    return `is not a real date-time: ${show(value)}`;
  }
  return undefined;
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
