import { badRequest } from './http';
import type { JobPlan, JobTiming } from './job-timing';
import type { SeedCertificate, SeedOrchestrator, SeedPamProvider, SeedStore, SimulatorSeed, StoreBehaviour } from './seed';
import type { JobRecord } from './types';

/** A certificate installed in a store under an alias (the inventory). */
export interface CertificateLocation {
  storeId: string;
  alias: string;
  certificateId: number;
}

/** A completed inventory of one store: Command's locations for it are set to what it holds. */
export interface InventoryRun {
  JobHistoryId: number;
  JobId: string;
  storeId: string;
  /** When it ran (start and end: an inventory is modelled as instant). */
  at: number;
  /** After a management job, or on the inventory schedule. */
  trigger: 'after-job' | 'scheduled' | 'requested';
  /** The store's failInventory behaviour: the run failed and Command's locations were left as they were. */
  failed?: boolean;
}

/** When stores are inventoried. */
export interface InventoryTiming {
  /** After each successful management job of a store, this much later; default 0 (at once). */
  afterJobsMs: number;
  /** Every store, every this many ms from start; default never. */
  everyMs?: number;
}

/** An access token issued by the token endpoint. */
export interface IssuedToken {
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export interface PamEntry {
  SecretName: string;
  Description: string | null;
  SecretValue: string;
}

/** Everything the simulator knows; `reset()` returns it to the seed. */
export class SimulatorState {
  readonly stores = new Map<string, SeedStore>();
  readonly orchestrators = new Map<string, SeedOrchestrator>();
  readonly certificates = new Map<number, SeedCertificate>();
  readonly pamProviders = new Map<number, SeedPamProvider>();
  readonly pamEntries = new Map<number, PamEntry[]>();
  /** Store Id (as seeded) -> last NewPassword received. */
  readonly passwords = new Map<string, unknown>();
  /** Command's view: what each store held at its last inventory (what `Locations` shows). */
  locations: CertificateLocation[] = [];
  /** What each store really holds; management jobs and out-of-band removals change it. */
  contents: CertificateLocation[] = [];
  /** Completed inventories, and those queued (after a job) with a time still ahead. */
  inventories: InventoryRun[] = [];
  pendingInventories: Array<{ storeId: string; at: number; trigger: InventoryRun['trigger'] }> = [];
  nextScheduledInventoryAt = 0;
  jobs: JobRecord[] = [];
  nextJobHistoryId = 1;
  /** Store Id (lower case) -> behaviour set at run time, over the seeded one. */
  readonly behaviours = new Map<string, StoreBehaviour>();
  /** Access token -> what it grants. */
  readonly accessTokens = new Map<string, IssuedToken>();

  constructor(readonly seed: SimulatorSeed, readonly timing: JobTiming, readonly inventory: InventoryTiming = { afterJobsMs: 0 }) {
    for (const store of seed.stores) this.stores.set(store.Id.toLowerCase(), store);
    for (const orchestrator of seed.orchestrators) this.orchestrators.set(orchestrator.AgentId.toLowerCase(), orchestrator);
    for (const cert of seed.certificates) this.certificates.set(cert.Id, cert);
    for (const provider of seed.pamProviders) this.pamProviders.set(provider.Id, provider);
    this.reset();
  }

  reset(): void {
    this.locations = this.seed.certificates.flatMap((cert) => (cert.locations ?? []).map((location) => ({
      storeId: this.stores.get(location.storeId.toLowerCase())!.Id,
      alias: location.alias,
      certificateId: cert.Id,
    })));
    this.contents = this.locations.map((l) => ({ ...l }));
    this.inventories = [];
    this.pendingInventories = [];
    this.nextScheduledInventoryAt = this.inventory.everyMs ? Date.now() + this.inventory.everyMs : Infinity;
    this.jobs = [];
    this.nextJobHistoryId = 1;
    this.pamEntries.clear();
    this.passwords.clear();
    this.behaviours.clear();
    this.accessTokens.clear();
  }

  /** The store's seeded behaviour with run-time overrides on top. */
  behaviourOf(store: SeedStore): StoreBehaviour {
    const override = this.behaviours.get(store.Id.toLowerCase()) ?? {};
    const merged: StoreBehaviour = {
      failJobs: store.failJobs,
      failReplace: store.failReplace,
      jobDurationMs: store.jobDurationMs,
      retriesBeforeSuccess: store.retriesBeforeSuccess,
      failMessage: store.failMessage,
      dropsCertificates: store.dropsCertificates,
      failInventory: store.failInventory,
    };
    for (const [key, value] of Object.entries(override)) {
      if (value !== undefined) Object.assign(merged, { [key]: value });
    }
    return merged;
  }

  /** Durations, retries and outcome for a job created on `store` now. */
  jobPlanFor(store: SeedStore): JobPlan {
    const behaviour = this.behaviourOf(store);
    return {
      waitingMs: behaviour.jobDurationMs?.waitingMs ?? this.timing.waitingMs,
      inProcessMs: behaviour.jobDurationMs?.inProcessMs ?? this.timing.inProcessMs,
      retries: behaviour.retriesBeforeSuccess ?? 0,
      fails: behaviour.failJobs === true,
      failMessage: behaviour.failMessage,
      drops: behaviour.dropsCertificates === true,
    };
  }

  findStore(id: string): SeedStore | undefined {
    return this.stores.get(id.toLowerCase());
  }

  /** The store, or a 400 the way Command answers an unknown id in a request body. // [INFER] wording */
  requireStore(id: string): SeedStore {
    const store = this.findStore(id);
    if (!store) throw badRequest(`Certificate store with id '${id}' was not found.`);
    return store;
  }

  requireCertificate(id: number): SeedCertificate {
    const cert = this.certificates.get(id);
    if (!cert) throw badRequest(`Certificate with id '${id}' was not found.`);
    return cert;
  }

  orchestratorOf(store: SeedStore): SeedOrchestrator {
    return this.orchestrators.get(store.AgentId.toLowerCase())!;
  }

  /** Id of the certificate under `alias` in the store, if any. */
  certificateAt(storeId: string, alias: string): number | null {
    const found = this.locations.find((l) => l.storeId === storeId && l.alias.toLowerCase() === alias.toLowerCase());
    return found ? found.certificateId : null;
  }

  locationsOf(certificateId: number): CertificateLocation[] {
    return this.locations.filter((location) => location.certificateId === certificateId);
  }
}
