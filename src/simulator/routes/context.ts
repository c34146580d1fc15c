import type { QueryParams, Reply } from '../http';
import type { SimulatorState } from '../state';
import type { JobOrigin } from '../types';
import type { RawBody } from '../validation';

/** What a route handler gets for one request. */
export interface RouteContext {
  state: SimulatorState;
  /** Path parameters by name, e.g. { id: '...' }. */
  params: Record<string, string>;
  query: QueryParams;
  body: RawBody;
  /** Request time in ms; job status is derived from it. */
  now: number;
  /** The request, recorded on the jobs it creates. */
  origin: JobOrigin;
}

export type Handler = (ctx: RouteContext) => Reply;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path after the api base; `{name}` is a parameter, `{name:guid}` / `{name:int}` constrain it. */
  pattern: string;
  handler: Handler;
}
