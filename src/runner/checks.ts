/**
 * Apply-time half of input validation: the props that were Terraform references at synth
 * (`spec.checks`), checked on the values Terraform evaluated with the rules synth uses for
 * literals, before anything is sent. Also brings evaluated values to the form synth gives
 * literals (GUIDs in lower case, an integer that arrived as a numeric string, as Terraform ids do,
 * as a number), so what is sent, recorded and hashed does not depend on how a value was written.
 */
import {
  booleanProblem, DeferredCheck, guidProblem, intProblem, nonEmptyStringProblem, Problem, sameValueProblem, stringProblem, timeOfDay,
  utcTimeProblem, show,
} from '../contract/rules';
import { SpecBase } from '../contract/spec';
import { sanProblem } from '../operations/certificate-store-reenrollment/san-rules';
import { distinguishedNameProblem } from '../operations/certificate-store-reenrollment/x500';

export function checkEvaluated<T extends SpecBase>(spec: T): { spec: T; problems: Problem[] } {
  const checks = spec.checks ?? [];
  if (checks.length === 0) return { spec, problems: [] };
  const out = JSON.parse(JSON.stringify(spec)) as T;
  const problems: Problem[] = [];
  // Value rules first (they normalize), then the comparisons between values.
  const ordered = [...checks.filter((c) => c.rule !== 'differs'), ...checks.filter((c) => c.rule === 'differs')];
  for (const check of ordered) {
    const { value, set } = locate(out, check.at);
    const { problem, normalized } = apply(check, value, (at) => locate(out, at).value);
    if (problem) problems.push({ field: check.field, detail: problem });
    else if (normalized !== value) set(normalized);
  }
  return { spec: out, problems };
}

function apply(check: DeferredCheck, value: unknown, valueAt: (at: string) => unknown): { problem?: string; normalized?: unknown } {
  switch (check.rule) {
    case 'guid': {
      const problem = guidProblem(value);
      return problem ? { problem } : { normalized: (value as string).toLowerCase() };
    }
    case 'int': {
      // Terraform resource ids are strings ("42"): an integer written in digits is the integer.
      const n = typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value;
      const problem = intProblem(n, check.min ?? 0, check.max);
      return problem ? { problem } : { normalized: n };
    }
    case 'nonEmptyString':
      return { problem: nonEmptyStringProblem(value, check.max), normalized: value };
    case 'string':
      return { problem: stringProblem(value, check.max), normalized: value };
    case 'boolean': {
      const b = value === 'true' ? true : value === 'false' ? false : value;
      const problem = booleanProblem(b);
      return problem ? { problem } : { normalized: b };
    }
    case 'utcTime':
      return { problem: utcTimeProblem(value), normalized: value };
    case 'timeOfDay': {
      const t = timeOfDay(value);
      return 'problem' in t ? { problem: t.problem } : { normalized: t.time };
    }
    case 'distinguishedName':
      return { problem: nonEmptyStringProblem(value) ?? distinguishedNameProblem(value as string), normalized: value };
    case 'san': {
      const kind = check.kind ?? '';
      if (typeof value !== 'string' || value.trim() === '') return { problem: `${kind}: the value must be a non-empty string, got ${show(value)}` };
      const problem = sanProblem(kind, value);
      return { problem: problem && `${kind} ${show(value)}: ${problem}`, normalized: value };
    }
    case 'differs': {
      const other = valueAt(check.other ?? '');
      return value !== undefined && value === other
        ? { problem: sameValueProblem(check.kind ?? 'value', check.otherField ?? check.other ?? '', other, check.hint ?? '') }
        : { normalized: value };
    }
    default:
      return { problem: `cannot be checked: unknown rule ${show((check as DeferredCheck).rule)}; is the runner older than the library that synthesized it?` };
  }
}

/** The value at a dot path (`store.alias`, `sans.dns.0`), and a setter for it. */
function locate(root: unknown, at: string): { value: unknown; set: (v: unknown) => void } {
  const keys = at.split('.');
  let parent: Record<string, unknown> | undefined;
  let value: unknown = root;
  for (const key of keys) {
    parent = value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    value = parent?.[key];
  }
  const last = keys[keys.length - 1];
  return { value, set: (v) => { if (parent) parent[last] = v; } };
}
