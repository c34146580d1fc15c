import type { FaultKind } from './faults';
import type { JobPlan } from './job-timing';
import type { SeedStore } from './seed';
import type { KeyfactorSchedule } from './validation';

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
  /** holdAfterProcessing: true once the request was processed and its answer is being held. */
  held?: boolean;
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

export interface NewJob {
  JobType: SimulatedJob['JobType'];
  Operation: SimulatedJob['Operation'];
  store: SeedStore;
  CertificateId: number | null;
  Alias: string | null;
  Schedule: KeyfactorSchedule;
}

/** The request that created a job (for duplicate detection). */
export interface JobOrigin {
  /** Sequence number of the request since the simulator started. */
  requestId: number;
  /** The request body as sent. */
  body: string;
}

export interface JobRecord extends NewJob {
  JobId: string;
  /** JobHistoryId of the first run. */
  JobHistoryId: number;
  /** JobHistoryId of each run that has a row so far (index = run). */
  historyIds: number[];
  AgentMachine: string;
  createdAt: number;
  /** When the job becomes due; null for recurring schedules (stays Waiting). */
  due: number | null;
  /** Durations, retries and outcome, fixed at creation. */
  plan: JobPlan;
  origin: JobOrigin | null;
  /** Whether its inventory change has been applied. */
  applied: boolean;
}
