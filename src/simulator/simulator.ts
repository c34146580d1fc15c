import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SEED } from './default-seed';
import { DEFAULT_JOB_TIMING, JobTiming } from './job-timing';
import { settleJobs, simulatedJob } from './jobs';
import { parseSeed, SimulatorSeed } from './seed';
import { createHandler, relativePath } from './server';
import { SimulatorState } from './state';
import type { RecordedRequest, SimulatedJob } from './types';

export interface SimulatorOptions {
  /** Port to listen on; default 0 (a random free port). */
  port?: number;
  /** Interface to bind; default '127.0.0.1' (loopback only). */
  host?: string;
  /** API base path, matched case-insensitively like IIS; default 'KeyfactorAPI'. */
  apiPath?: string;
  /** Initial data; default DEFAULT_SEED. */
  seed?: SimulatorSeed;
  /** How long a job stays Waiting, then InProcess; default 150 ms each. */
  jobTiming?: { waitingMs?: number; inProcessMs?: number };
}

/** An in-memory Keyfactor Command API on loopback, for tests and local rehearsals. */
export class KeyfactorSimulator {
  /** Starts a simulator and resolves once it is listening. */
  static async start(options: SimulatorOptions = {}): Promise<KeyfactorSimulator> {
    const seed = parseSeed(structuredClone(options.seed ?? DEFAULT_SEED));
    const timing: JobTiming = { ...DEFAULT_JOB_TIMING, ...options.jobTiming };
    const state = new SimulatorState(seed, timing);
    const apiPath = options.apiPath ?? 'KeyfactorAPI';
    const requests: RecordedRequest[] = [];
    const server = createServer(createHandler({ state, apiPath, requests }));
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new KeyfactorSimulator(server, state, apiPath, requests, host);
  }

  readonly port: number;
  /** e.g. http://127.0.0.1:43211 */
  readonly url: string;
  /** e.g. 127.0.0.1:43211 (what KEYFACTOR_HOSTNAME is set to). */
  readonly hostname: string;

  private constructor(
    private readonly server: Server,
    private readonly state: SimulatorState,
    private readonly apiPath: string,
    /** Every request received, in order. */
    readonly requests: RecordedRequest[],
    host: string,
  ) {
    this.port = (server.address() as AddressInfo).port;
    this.hostname = `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.url = `http://${this.hostname}`;
  }

  /**
   * Requests whose method matches and whose path after the api base ends
   * with `pathSuffix` at a segment boundary (case-insensitive), e.g.
   * received('POST', '/CertificateStores/Certificates/Add').
   */
  received(method: string, pathSuffix: string): RecordedRequest[] {
    const suffix = `/${pathSuffix.replace(/^\/+|\/+$/g, '')}`.toLowerCase();
    return this.requests.filter((request) => {
      if (request.method.toUpperCase() !== method.toUpperCase()) return false;
      const relative = relativePath(request.path, this.apiPath);
      return relative !== null && relative.replace(/\/+$/, '').toLowerCase().endsWith(suffix);
    });
  }

  /** All jobs created so far, with their status as of now. */
  jobs(): SimulatedJob[] {
    const now = Date.now();
    settleJobs(this.state, now);
    return this.state.jobs.map((job) => simulatedJob(this.state, job, now));
  }

  /** Entries of a local PAM provider, including their secret values. */
  pamEntries(providerId: number): { SecretName: string; Description: string | null; SecretValue: string }[] {
    return (this.state.pamEntries.get(providerId) ?? []).map((entry) => ({ ...entry }));
  }

  /** Store Id -> the last NewPassword received for it, exactly as sent. */
  storePasswords(): Record<string, unknown> {
    return Object.fromEntries(this.state.passwords);
  }

  /** Clears requests, jobs, PAM entries and passwords, and restores the seeded inventory. */
  reset(): void {
    this.requests.length = 0;
    this.state.reset();
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
  }
}
