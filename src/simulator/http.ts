/**
 * Error bodies, replies and query-string access shared by every route.
 *
 * Command's error body is `{ ErrorCode, Message }`. The codes below are
 * plausible HRESULT-style values, not taken from a real server. // [INFER]
 */
export const ErrorCode = {
  invalidArgument: '0x80070057', // E_INVALIDARG // [INFER]
  notFound: '0x80070002', // ERROR_FILE_NOT_FOUND // [INFER]
  notSupported: '0x80070032', // ERROR_NOT_SUPPORTED // [INFER]
  invalidData: '0x8007000D', // ERROR_INVALID_DATA // [INFER]
  tooLarge: '0x80070008', // ERROR_NOT_ENOUGH_MEMORY // [INFER]
  internal: '0x80004005', // E_FAIL // [INFER]
} as const;

export class ApiError extends Error {
  constructor(readonly status: number, readonly errorCode: string, message: string) {
    super(message);
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, ErrorCode.invalidArgument, message);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, ErrorCode.notFound, message);
}

/** What a route hands back; `body: undefined` means an empty body. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function ok(body: unknown, headers?: Record<string, string>): Reply {
  return { status: 200, body, headers };
}

export function noContent(): Reply {
  return { status: 204 };
}

export function errorReply(error: ApiError): Reply {
  return { status: error.status, body: { ErrorCode: error.errorCode, Message: error.message } };
}

/**
 * Query-string lookup the way ASP.NET model binding does it: parameter names
 * are case-insensitive, and the older prefixed names (`pq.queryString`,
 * `certificateStoreQuery.queryString`) bind to the same parameter. // [INFER]
 */
export class QueryParams {
  private readonly values = new Map<string, string>();

  constructor(search: URLSearchParams) {
    for (const [key, value] of search) {
      const bare = key.replace(/^(pq|certificateStoreQuery)\./i, '').toLowerCase();
      if (!this.values.has(bare)) this.values.set(bare, value);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase());
  }

  /** ASP.NET bool binding: "true"/"false" in any case; anything else is a 400. */
  bool(name: string, fallback: boolean): boolean {
    const raw = this.get(name);
    if (raw === undefined || raw === '') return fallback;
    if (/^true$/i.test(raw)) return true;
    if (/^false$/i.test(raw)) return false;
    throw badRequest(`The value '${raw}' is not valid for ${name}.`);
  }

  /** ASP.NET int binding; values outside [min, max] are a 400. */
  int(name: string, fallback: number, min: number, max = 2147483647): number {
    const raw = this.get(name);
    if (raw === undefined || raw === '') return fallback;
    if (!/^-?\d+$/.test(raw.trim())) throw badRequest(`The value '${raw}' is not valid for ${name}.`);
    const value = Number(raw);
    if (value < min || value > max) throw badRequest(`${name} must be between ${min} and ${max}.`);
    return value;
  }
}
