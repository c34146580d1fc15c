import type { FaultKind } from './faults';

/** One HTTP request the simulator received. */
export interface RecordedRequest {
  method: string;
  /** URL path without the query string, e.g. /KeyfactorAPI/CertificateStores/Certificates/Add. */
  path: string;
  /** Decoded query parameters (the last value wins for repeated names). */
  query: Record<string, string>;
  /** The raw query string without '?', exactly as sent. */
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; the raw text if it was not JSON; undefined when empty. */
  body: unknown;
  /** HTTP status the simulator answered with; 0 when it sent no response (a connection reset). */
  status: number;
  /** The injected fault that hit this request, if any. */
  fault?: FaultKind;
  /** ISO time the request was received. */
  at: string;
}

/** A job the simulator created, with its status derived at the time of the call. */
export interface SimulatedJob {
  JobId: string;
  JobType: 'Management' | 'Reenrollment';
  Operation: 'Add' | 'Remove' | 'Reenrollment' | 'PfxReplace';
  CertificateStoreId: string;
  StorePath: string;
  AgentId: string;
  ClientMachine: string;
  CertificateId: number | null;
  Alias: string | null;
  Schedule: unknown;
  createdAt: string;
  Status: number;
  Result: number;
  Message: string | null;
  /** JobHistoryId of each run so far: more than one when the job was retried. */
  historyIds: number[];
}
