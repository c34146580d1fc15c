import { z } from 'zod';
import { ApiError, badRequest, ErrorCode } from './http';

/** The raw request body as received. */
export interface RawBody {
  text: string;
  contentType: string | undefined;
}

/** Request media types the spec lists for every request body. */
const JSON_MEDIA_TYPE = /^\s*(application\/json|text\/json|application\/[^;\s]*\+json)\s*(;|$)/i;

export const guid = z.guid();
export const int32 = z.int().min(-2147483648).max(2147483647);
/** ISO 8601 date-time; an offset is optional (no offset means UTC). */
export const isoDateTime = z.iso.datetime({ offset: true, local: true });

/** KeyfactorAPISecret: `{SecretValue}` or `{Provider, Parameters}`. */
export const apiSecret = z.object({
  SecretValue: z.string().nullish(),
  Parameters: z.record(z.string(), z.string().nullable()).nullish(),
  Provider: int32.nullish(),
});

export const keyfactorSchedule = z.object({
  Immediate: z.boolean().nullish(),
  Interval: z.object({ Minutes: int32.min(1) }).nullish(),
  Daily: z.object({ Time: isoDateTime }).nullish(),
  Weekly: z.object({ Days: z.array(z.int().min(0).max(6)).min(1), Time: isoDateTime }).nullish(),
  Monthly: z.object({ Day: z.int().min(1).max(31), Time: isoDateTime }).nullish(),
  ExactlyOnce: z.object({ Time: isoDateTime }).nullish(),
}).superRefine((schedule, ctx) => {
  // The docs say to set exactly one member; `Immediate: false` counts as unset. // [INFER]
  const set = Object.entries(schedule).filter(([key, value]) => (key === 'Immediate' ? value === true : value != null));
  if (set.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `exactly one of Immediate, Interval, Daily, Weekly, Monthly, ExactlyOnce must be set (found ${set.length})`,
    });
  }
});

export type KeyfactorSchedule = z.output<typeof keyfactorSchedule>;

/** Parses an ISO date-time; a value without an offset is read as UTC. */
export function parseTime(value: string): number {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes('T');
  return Date.parse(hasZone ? value : `${value}Z`);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  }
  return out;
}

/** Turns zod issues into `Field.Path: problem; Other.Field: problem`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    const message = missing ? 'Required' : issue.message;
    const path = formatPath(issue.path);
    return path ? `${path}: ${message}` : `Request body: ${message}`;
  }).join('; ');
}

/**
 * Parses and validates a JSON request body.
 *
 * Field names must use the reference casing exactly. Command's binder is
 * probably case-insensitive; the simulator is deliberately stricter so casing
 * bugs in a client show up here. Unknown fields are ignored. // [INFER]
 */
export function parseJsonBody<S extends z.ZodType>(body: RawBody, schema: S): z.output<S> {
  if (body.text.trim() === '') throw badRequest('A non-empty request body is required.');
  if (!body.contentType || !JSON_MEDIA_TYPE.test(body.contentType)) {
    // ASP.NET answers 415 when [FromBody] meets a media type it has no formatter for. // [INFER]
    throw new ApiError(415, ErrorCode.invalidData, `Unsupported Content-Type '${body.contentType ?? ''}'; send application/json.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(body.text);
  } catch (err) {
    throw badRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(data);
  if (!result.success) throw badRequest(describeZodError(result.error));
  return result.data;
}
