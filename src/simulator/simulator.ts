import { createServer, Server } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inventoryNow, removeFromStore } from './admin';
import { DEFAULT_SEED } from './default-seed';
import { duplicateJobGroups } from './duplicates';
import { ActiveFault, FaultInjector, FaultRule } from './faults';
import { DEFAULT_JOB_TIMING, JobTiming } from './job-timing';
import { settleJobs, simulatedJob } from './jobs';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, DEFAULT_TOKEN_PATH } from './oauth';
import { parseSeed, SimulatorSeed, StoreBehaviour, storeBehaviourSchema } from './seed';
import { createHandler, relativePath } from './server';
import { SimulatorState } from './state';
import { createTlsMaterial, TlsOptions } from './tls';
import type { RecordedRequest, SimulatedJob } from './types';
import { describeZodError } from './validation';

export interface SimulatorOptions {
  /** Port to listen on; default 0 (a random free port). */
  port?: number;
  /** Interface to bind; default '127.0.0.1' (loopback only). */
  host?: string;
  /** API base path, matched case-insensitively like IIS; default 'KeyfactorAPI'. */
  apiPath?: string;
  /** Initial data; default DEFAULT_SEED. */
  seed?: SimulatorSeed;
  /** How long a job stays Waiting, then InProcess; default 150 ms each. A store's jobDurationMs overrides it. */
  jobTiming?: { waitingMs?: number; inProcessMs?: number };
  /** Path of the OAuth 2 token endpoint (outside apiPath); default '/oauth2/token'. */
  tokenPath?: string;
  /** Lifetime of issued access tokens; default 3600. Fractions are allowed (expires_in is rounded up). */
  tokenLifetimeSeconds?: number;
  /** Serve HTTPS with a CA made at start (see caCertPem); `{ hostnames }` sets the server certificate's names. */
  tls?: boolean | TlsOptions;
  /** Seed of the PRNG behind fault probabilities; default 1. */
  faultSeed?: number;
  /**
   * When stores are inventoried (Command's `Locations` show a store's certificates as of its last
   * inventory): after each successful management job, `afterJobsMs` later (default 0, at once), and
   * every store every `everyMs` (default never).
   */
  inventory?: { afterJobsMs?: number; everyMs?: number };
}

type AnyServer = Server | HttpsServer;

/** An in-memory Keyfactor Command API on loopback, for tests and local rehearsals. */
export class KeyfactorSimulator {
  /** Starts a simulator and resolves once it is listening. */
  static async start(options: SimulatorOptions = {}): Promise<KeyfactorSimulator> {
    const seed = parseSeed(structuredClone(options.seed ?? DEFAULT_SEED));
    const timing: JobTiming = { ...DEFAULT_JOB_TIMING, ...options.jobTiming };
    const inventory = { afterJobsMs: options.inventory?.afterJobsMs ?? 0, everyMs: options.inventory?.everyMs };
    if (!(inventory.afterJobsMs >= 0) || (inventory.everyMs !== undefined && !(inventory.everyMs > 0))) {
      throw new Error('inventory.afterJobsMs must be 0 or more, inventory.everyMs more than 0');
    }
    const state = new SimulatorState(seed, timing, inventory);
    const apiPath = options.apiPath ?? 'KeyfactorAPI';
    const requests: RecordedRequest[] = [];
    const faults = new FaultInjector(options.faultSeed ?? 1);
    const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!(tokenLifetimeSeconds > 0)) throw new Error('tokenLifetimeSeconds must be more than 0');
    const handler = createHandler({ state, apiPath, requests, faults, tokenPath: options.tokenPath ?? DEFAULT_TOKEN_PATH, tokenLifetimeSeconds });

    let server: AnyServer;
    let caCertPem: string | undefined;
    if (options.tls) {
      // The X.509 library is loaded only here, so a plain-HTTP simulator never loads it.
      const material = await createTlsMaterial(options.tls === true ? undefined : options.tls.hostnames);
      caCertPem = material.caCertPem;
      server = createHttpsServer({ key: material.keyPem, cert: material.certPem }, handler);
    } else {
      server = createServer(handler);
    }
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new KeyfactorSimulator(server, state, apiPath, requests, host, faults, options.tokenPath ?? DEFAULT_TOKEN_PATH, caCertPem);
  }

  readonly port: number;
  /** e.g. http://127.0.0.1:43211, or https://127.0.0.1:43211 with tls. */
  readonly url: string;
  /** e.g. 127.0.0.1:43211 (what KEYFACTOR_HOSTNAME is set to). */
  readonly hostname: string;
  /** Full URL of the OAuth 2 token endpoint, e.g. http://127.0.0.1:43211/oauth2/token. */
  readonly tokenUrl: string;

  private constructor(
    private readonly server: AnyServer,
    private readonly state: SimulatorState,
    private readonly apiPath: string,
    /** Every request received, in order. */
    readonly requests: RecordedRequest[],
    host: string,
    /** Fault rules in force; see injectFaults. */
    readonly faults: FaultInjector,
    tokenPath: string,
    /** PEM of the CA that signed the HTTPS server certificate; undefined without tls. */
    readonly caCertPem: string | undefined,
  ) {
    this.port = (server.address() as AddressInfo).port;
    this.hostname = `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.url = `${caCertPem === undefined ? 'http' : 'https'}://${this.hostname}`;
    this.tokenUrl = `${this.url}/${tokenPath.replace(/^\/+/, '')}`;
  }

  /**
   * Requests whose method matches and whose path after the api base ends
   * with `pathSuffix` at a segment boundary (case-insensitive), e.g.
   * received('POST', '/CertificateStores/Certificates/Add'). A request outside
   * the api base (the token endpoint) matches only its whole path, e.g.
   * received('POST', '/oauth2/token').
   */
  received(method: string, pathSuffix: string): RecordedRequest[] {
    const suffix = `/${pathSuffix.replace(/^\/+|\/+$/g, '')}`.toLowerCase();
    return this.requests.filter((request) => {
      if (request.method.toUpperCase() !== method.toUpperCase()) return false;
      const relative = relativePath(request.path, this.apiPath);
      if (relative === null) return request.path.replace(/\/+$/, '').toLowerCase() === suffix;
      return relative.replace(/\/+$/, '').toLowerCase().endsWith(suffix);
    });
  }

  /** All jobs created so far, with their status as of now. */
  jobs(): SimulatedJob[] {
    const now = Date.now();
    settleJobs(this.state, now);
    return this.state.jobs.map((job) => simulatedJob(job, now));
  }

  /**
   * Groups of jobs that look like one request sent more than once: same
   * operation, store, certificate and alias, from separate requests with the
   * same body. Fault tests expect none.
   */
  duplicateJobs(): SimulatedJob[][] {
    const now = Date.now();
    settleJobs(this.state, now);
    return duplicateJobGroups(this.state.jobs).map((group) => group.map((job) => simulatedJob(job, now)));
  }

  /**
   * Changes how a store's jobs behave from now on (jobs already created keep
   * their course). Fields given override the seed; a field given as
   * undefined goes back to the seeded value. reset() drops all overrides.
   */
  setStoreBehaviour(storeId: string, behaviour: StoreBehaviour): void {
    const store = this.state.findStore(storeId);
    if (!store) throw new Error(`No store with Id '${storeId}'`);
    const parsed = storeBehaviourSchema.safeParse(behaviour);
    if (!parsed.success) throw new Error(`Invalid store behaviour: ${describeZodError(parsed.error)}`);
    const key = store.Id.toLowerCase();
    const known = Object.keys(storeBehaviourSchema.shape).filter((field) => field in behaviour);
    const given = Object.fromEntries(known.map((field) => [field, behaviour[field as keyof StoreBehaviour]]));
    this.state.behaviours.set(key, { ...this.state.behaviours.get(key), ...given });
  }

  /** Adds fault rules (earlier rules win); returns them with live hit counts. */
  injectFaults(...rules: FaultRule[]): ActiveFault[] {
    return this.faults.inject(...rules);
  }

  /** Removes every fault rule and restarts the fault PRNG. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Makes every access token issued so far expired (seeded tokens are not affected). */
  expireTokens(): void {
    const past = Date.now() - 1;
    for (const token of this.state.accessTokens.values()) token.expiresAt = Math.min(token.expiresAt, past);
  }

  /**
   * Takes what the store holds under `alias` out of it behind Command's back, as an administrator
   * deleting it on the server would. Command's `Locations` still show it until the store's next
   * inventory (see `inventory`). Returns whether the store held anything under that alias.
   */
  removeFromStore(storeId: string, alias: string): boolean {
    settleJobs(this.state, Date.now());
    return removeFromStore(this.state, storeId, alias);
  }

  /** Inventories the store (every store without an id) now: Command's `Locations` become what it holds. */
  inventory(storeId?: string): void {
    const now = Date.now();
    settleJobs(this.state, now);
    inventoryNow(this.state, storeId, now);
  }

  /** What the store (every store without an id) really holds, whatever Command last saw. */
  storeContents(storeId?: string): { storeId: string; alias: string; certificateId: number }[] {
    settleJobs(this.state, Date.now());
    const id = storeId === undefined ? undefined : this.requireStore(storeId).Id;
    return this.state.contents.filter((l) => id === undefined || l.storeId === id).map((l) => ({ ...l }));
  }

  private requireStore(storeId: string) {
    const store = this.state.findStore(storeId);
    if (!store) throw new Error(`No store with Id '${storeId}'`);
    return store;
  }

  /** Entries of a local PAM provider, including their secret values. */
  pamEntries(providerId: number): { SecretName: string; Description: string | null; SecretValue: string }[] {
    return (this.state.pamEntries.get(providerId) ?? []).map((entry) => ({ ...entry }));
  }

  /** Store Id -> the last NewPassword received for it, exactly as sent. */
  storePasswords(): Record<string, unknown> {
    return Object.fromEntries(this.state.passwords);
  }

  /**
   * Clears requests, jobs, PAM entries, passwords, issued access tokens,
   * store behaviour overrides and fault rules, and restores the seeded inventory.
   */
  reset(): void {
    this.requests.length = 0;
    this.state.reset();
    this.faults.clear();
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
