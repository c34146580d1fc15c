import { AnnotationMetadataEntryType, DataResource, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { isTerraformValue, templateProblem } from './expression';
import {
  booleanProblem, DeferredCheck, guidProblem, intProblem, MAX_INT32, nonEmptyStringProblem, Problem, stringProblem, timeOfDay,
  utcTimeProblem,
} from '../contract/rules';

export { show } from '../contract/rules';

/**
 * Collects the validation errors of one construct and reports them together as cdktf error
 * annotations: `cdktf synth` prints every problem of every construct, one line each, and stops.
 */
export class Validator {
  private readonly errors: Problem[] = [];
  private deferred: DeferredCheck[] = [];
  constructor(private readonly scope: Construct, private readonly kind: string) {}

  fail(field: string, detail: string): void {
    this.errors.push({ field, detail });
  }

  /**
   * A value Terraform evaluates (a token or a template) cannot be checked now: the runner checks
   * it at apply with the same rule. Returns true when `value` is such a value (and was deferred).
   */
  private deferIfTerraform(value: unknown, check: Omit<DeferredCheck, 'at'> & { at?: string }): boolean {
    if (!isTerraformValue(value)) return false;
    this.deferred.push({ ...check, at: check.at ?? check.field });
    return true;
  }

  /** The checks deferred to apply time since the last call, for the spec being built. */
  takeDeferred(): DeferredCheck[] {
    const out = this.deferred;
    this.deferred = [];
    return out;
  }

  /** Defers a check the construct makes itself (e.g. an operation-specific rule). */
  defer(check: DeferredCheck): void {
    this.deferred.push(check);
  }

  private check(field: string, problem: string | undefined): boolean {
    if (problem) this.fail(field, problem);
    return !problem;
  }

  guid(field: string, value: unknown, at?: string): boolean {
    return this.deferIfTerraform(value, { field, at, rule: 'guid' }) || this.check(field, guidProblem(value));
  }

  int(field: string, value: unknown, min: number, max = MAX_INT32, at?: string): boolean {
    return this.deferIfTerraform(value, { field, at, rule: 'int', min, max }) || this.check(field, intProblem(value, min, max));
  }

  /** ISO 8601 date-time in UTC, e.g. 2026-11-25T23:30:00Z. */
  utcTime(field: string, value: unknown, at?: string): boolean {
    return this.deferIfTerraform(value, { field, at, rule: 'utcTime' }) || this.check(field, utcTimeProblem(value));
  }

  /** A recurring schedule's time (see `timeOfDay`): the value to send, or undefined when invalid. */
  timeOfDay(field: string, value: unknown, at?: string): unknown {
    if (this.deferIfTerraform(value, { field, at, rule: 'timeOfDay' })) return value;
    const t = timeOfDay(value);
    return this.check(field, 'problem' in t ? t.problem : undefined) ? (t as { time: string }).time : undefined;
  }

  nonEmptyString(field: string, value: unknown, maxLength?: number, at?: string): boolean {
    return this.deferIfTerraform(value, { field, at, rule: 'nonEmptyString', max: maxLength }) || this.check(field, nonEmptyStringProblem(value, maxLength));
  }

  string(field: string, value: unknown, maxLength?: number, at?: string): boolean {
    return this.deferIfTerraform(value, { field, at, rule: 'string', max: maxLength }) || this.check(field, stringProblem(value, maxLength));
  }

  boolean(field: string, value: unknown, at?: string): boolean {
    return this.deferIfTerraform(value, { field, at, rule: 'boolean' }) || this.check(field, booleanProblem(value));
  }

  /**
   * Every literal string in `props` (plain objects and lists, recursively) must read as Terraform
   * reads it: a lone `${` is a template Terraform would refuse at plan. Names the prop.
   */
  templates(props: unknown, field = ''): void {
    if (typeof props === 'string') {
      const problem = templateProblem(props);
      if (problem) this.fail(field || 'props', problem);
    } else if (Array.isArray(props)) {
      props.forEach((x, i) => this.templates(x, `${field}[${i}]`));
    } else if (props && typeof props === 'object' && Object.getPrototypeOf(props) === Object.prototype) {
      for (const [k, x] of Object.entries(props)) this.templates(x, field ? `${field}.${k}` : k);
    }
  }

  /**
   * Reports every collected problem as an error annotation of the construct (one line each: field,
   * problem, construct kind; the path is the annotation's own) and returns whether there were none.
   * No stack trace is attached: the line says what to fix, and cdktf-cli would print a trace under it.
   */
  report(): boolean {
    for (const e of this.errors) this.scope.node.addMetadata(AnnotationMetadataEntryType.ERROR, `${e.field}: ${e.detail} (${this.kind})`);
    return this.errors.length === 0;
  }
}

/**
 * What an invalid construct renders in place of its carriers: nothing of its props, and a
 * precondition that fails every plan. cdktf-cli writes cdk.tf.json even when synth reports errors
 * (it prints them afterwards); without this, applying that file would read the construct as
 * deleted and run its undo (a Remove job on every store).
 */
export function renderInvalid(scope: Construct): TerraformResource {
  return new DataResource(scope, 'InvalidProps', {
    lifecycle: {
      precondition: [{
        // Always false; Terraform refuses a condition that refers to nothing.
        condition: '${length(terraform.workspace) < 0}',
        errorMessage: `cdktf-keyfactor: ${scope.node.path} has invalid props (cdktf synth listed them); fix them and synthesize again. This configuration must not be applied.`,
      }],
    },
  });
}
