import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from './validation';

const guid = z.guid();
const name = z.string().min(1);

const userSchema = z.object({
  domain: name.optional(),
  username: name,
  password: name,
  /** May read (GET) but not change anything: writes get 403, like a role without the permission. */
  readOnly: z.boolean().optional(),
});

const orchestratorSchema = z.object({
  AgentId: guid,
  ClientMachine: name,
});

const durationMs = z.number().min(0).max(86_400_000);

/** How a store's jobs behave; set in the seed or at run time with setStoreBehaviour. */
export const storeBehaviourSchema = z.object({
  /** Every job on this store ends with Result 4 (Failure) and a Message. */
  failJobs: z.boolean().optional(),
  /** POST /Enrollment/PFX/Replace lists this store in FailedStores. */
  failReplace: z.boolean().optional(),
  /** Overrides the simulator's jobTiming for jobs on this store. */
  jobDurationMs: z.object({ waitingMs: durationMs.optional(), inProcessMs: durationMs.optional() }).optional(),
  /** Runs that end CompletedWillRetry (Status 5) before the final run. */
  retriesBeforeSuccess: z.int().min(0).max(100).optional(),
  /** Message of a failed job (and, after "Retrying: ", of retried runs). */
  failMessage: z.string().min(1).optional(),
  /**
   * Jobs on this store end with Success but change nothing in it (an orchestrator writing to
   * another path, a store rebuilt right after): the next inventory shows the certificate absent.
   */
  dropsCertificates: z.boolean().optional(),
  /** Inventories of this store fail (Result 4): Command's locations for it stay as they were. */
  failInventory: z.boolean().optional(),
});

const storeSchema = z.object({
  Id: guid,
  ClientMachine: name,
  Storepath: name,
  AgentId: guid,
  CertStoreType: z.int(),
  DisplayName: z.string().optional(),
  /** Defaults to true. When false, POST /CertificateStores/Reenrollment is refused. */
  reenrollmentSupported: z.boolean().optional(),
  ...storeBehaviourSchema.shape,
});

/** A client of the OAuth 2 token endpoint (client credentials grant). */
const oauthClientSchema = z.object({
  clientId: name,
  clientSecret: name,
  /** Scopes the client may ask for; when absent any scope is granted. */
  scopes: z.array(name).optional(),
  /** When set, a request naming another audience is refused. */
  audience: name.optional(),
});

const certificateSchema = z.object({
  Id: z.int().min(1),
  IssuedCN: name,
  Thumbprint: z.string().regex(/^[0-9A-Fa-f]+$/, 'Thumbprint must be hexadecimal'),
  locations: z.array(z.object({ storeId: guid, alias: name })).optional(),
});

const pamProviderSchema = z.object({
  Id: z.int().min(1),
  Name: name,
  local: z.boolean(),
});

/** Zod schema of a simulator seed (the JSON accepted by loadSeedFile). */
export const simulatorSeedSchema = z.object({
  users: z.array(userSchema),
  tokens: z.array(name),
  orchestrators: z.array(orchestratorSchema),
  stores: z.array(storeSchema),
  certificates: z.array(certificateSchema),
  pamProviders: z.array(pamProviderSchema),
  oauthClients: z.array(oauthClientSchema).optional(),
}).superRefine((seed, ctx) => {
  const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const duplicates = (values: (string | number)[], path: (index: number) => (string | number)[], label: string) => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      const key = String(value).toLowerCase();
      if (seen.has(key)) problem(path(index), `duplicate ${label} '${value}'`);
      seen.add(key);
    });
  };

  duplicates(seed.orchestrators.map((o) => o.AgentId), (i) => ['orchestrators', i, 'AgentId'], 'AgentId');
  duplicates(seed.stores.map((s) => s.Id), (i) => ['stores', i, 'Id'], 'store Id');
  duplicates(seed.certificates.map((c) => c.Id), (i) => ['certificates', i, 'Id'], 'certificate Id');
  duplicates(seed.pamProviders.map((p) => p.Id), (i) => ['pamProviders', i, 'Id'], 'PAM provider Id');
  duplicates((seed.oauthClients ?? []).map((c) => c.clientId), (i) => ['oauthClients', i, 'clientId'], 'clientId');

  const agents = new Set(seed.orchestrators.map((o) => o.AgentId.toLowerCase()));
  seed.stores.forEach((store, i) => {
    if (!agents.has(store.AgentId.toLowerCase())) {
      problem(['stores', i, 'AgentId'], `no orchestrator has AgentId '${store.AgentId}'`);
    }
  });

  const stores = new Set(seed.stores.map((s) => s.Id.toLowerCase()));
  const aliases = new Set<string>();
  seed.certificates.forEach((cert, i) => {
    (cert.locations ?? []).forEach((location, j) => {
      const path = ['certificates', i, 'locations', j];
      if (!stores.has(location.storeId.toLowerCase())) {
        problem([...path, 'storeId'], `no store has Id '${location.storeId}'`);
      }
      const key = `${location.storeId.toLowerCase()}|${location.alias.toLowerCase()}`;
      if (aliases.has(key)) problem([...path, 'alias'], `alias '${location.alias}' is already used in store '${location.storeId}'`);
      aliases.add(key);
    });
  });
});

export type SimulatorSeed = z.output<typeof simulatorSeedSchema>;
export type SeedUser = SimulatorSeed['users'][number];
export type SeedOrchestrator = SimulatorSeed['orchestrators'][number];
export type SeedStore = SimulatorSeed['stores'][number];
export type SeedCertificate = SimulatorSeed['certificates'][number];
export type SeedPamProvider = SimulatorSeed['pamProviders'][number];
export type SeedOAuthClient = NonNullable<SimulatorSeed['oauthClients']>[number];
export type StoreBehaviour = z.input<typeof storeBehaviourSchema>;

/** Validates a seed object; throws an Error naming every bad field. */
export function parseSeed(value: unknown, source = 'seed'): SimulatorSeed {
  const result = simulatorSeedSchema.safeParse(value);
  if (!result.success) {
    throw new Error(`Invalid simulator ${source}: ${describeZodError(result.error)}`);
  }
  return result.data;
}

/** Reads and validates a JSON seed file. */
export function loadSeedFile(path: string): SimulatorSeed {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read simulator seed file ${path}: ${(err as Error).message}`);
  }
  return parseSeed(data, `seed file ${path}`);
}
