/**
 * `npm run bench`: performance of cdktf-keyfactor against what it is built on, in one run.
 * A benchmark, not a test: it prints a table of ratios (each from medians of several
 * repetitions) and writes bench/results/results.{json,md,svg}.
 *
 *  1. synth: 1,000 CertificateDeployments vs 1,000 bare terraform_data resources carrying the
 *     same local-exec provisioners (target <= 1.5x);
 *  2. the runner's cold start (`node bundle/runner/runner.cjs`) vs `node -e 0` (target <= 2x), and
 *     `report` in a ledger of 20,000 records vs 100 (ledgerRead, target <= 1.2x);
 *  3. `terraform apply` of 200 CertificateDeployments, parallelism 10, against the simulator
 *     with 20 ms added latency, vs the same configuration whose provisioners run `node -e 0`
 *     (target <= 1.2x); the same 200 with OAuth client credentials: token requests (target 1);
 *  4. a job wait over 200 GUIDs: JobHistory requests per poll (target 1), and one deployment to
 *     2,000 stores with a wait vs as many `node -e 0` provisioners (bigDeployment, target <= 1.5x);
 *  5. the undo registry: apply and destroy of those 200 with vs without it, and deleting all of
 *     them from the code vs `terraform destroy` (no targets: what it costs, reported);
 *  6. shared ledger stores: `report` in a ledger of 20,000 records vs 100 in S3 (s3rver), Azure Blob
 *     (Azurite) and PostgreSQL (ledgerRead<Store>, target <= 1.2x each), and the apply of (2) with
 *     the PostgreSQL store vs the local directory (applyPostgres, target <= 1.3x).
 *
 * Run after `npm run compile` (the bench task does it): it measures lib/ and bundle/, what
 * users run. Repetitions and sizes can be changed with BENCH_SYNTH_REPS (5), BENCH_START_REPS
 * (5), BENCH_APPLY_REPS (3), BENCH_SYNTH_COUNT (1000), BENCH_APPLY_COUNT (200), BENCH_BIG_STORES (2000),
 * BENCH_LEDGER_RECORDS (20000); BENCH_QUICK=1
 * runs a smaller, faster version and BENCH_ONLY=apply,jobWait (say) some measures only (for
 * checking the bench itself; results are then not written).
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { BenchRow, renderChart } from './chart';
import { CertificateDeployment, KeyfactorDefaults, Schedule, WaitPolicy } from '../lib';
import { specHash } from '../lib/contract/spec';
import { chooseLedger, DirectoryStore, identityKey, LedgerEntry, openLedger } from '../lib/runtime/ledger';
import { origin } from '../lib/runtime/settings';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorSeed } from '../lib/simulator';
import { Azurite, startAzurite } from '../test/support/servers/azurite';
import { PostgresServer, startPostgres } from '../test/support/servers/postgres';
import { S3RVER_ACCESS_KEY_ID, S3Server, startS3Server } from '../test/support/servers/s3';

const ROOT = path.resolve(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const num = (name: string, normal: number, quick: number) => Number(process.env[name] || (QUICK ? quick : normal));
const SYNTH_REPS = num('BENCH_SYNTH_REPS', 5, 2);
const START_REPS = num('BENCH_START_REPS', 5, 2);
const APPLY_REPS = num('BENCH_APPLY_REPS', 3, 1);
const SYNTH_COUNT = num('BENCH_SYNTH_COUNT', 1000, 100);
const APPLY_COUNT = num('BENCH_APPLY_COUNT', 200, 20);
const WAIT_GUIDS = num('BENCH_WAIT_GUIDS', 200, 200);
const BIG_STORES = num('BENCH_BIG_STORES', 2000, 200);
const LEDGER_RECORDS = num('BENCH_LEDGER_RECORDS', 20000, 2000);
const LEDGER_SMALL = 100;
/** Spawns per cold-start repetition (averaged), so one repetition is not a single noisy spawn. */
const SPAWNS_PER_REP = 10;
const LATENCY_MS = 20;
const PARALLELISM = 10;
const PAGE_SIZE = 100; // rows per JobHistory page the runner asks for (src/runtime/jobs/completion.ts)

/**
 * BENCH_ONLY=synth,coldStart,ledgerRead,apply,oauthTokens,jobWait,bigDeployment,undoRegistry,ledgerReadStores,applyPostgres
 * runs some measures only (results not written).
 */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const run = (id: string) => !ONLY || ONLY.includes(id);

const RUNNER = path.join(ROOT, 'bundle', 'runner', 'runner.cjs');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktf-keyfactor-bench-'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const log = (line: string) => process.stdout.write(`bench: ${line}\n`);

/** `count` healthy stores on top of the default seed: 33333333-3333-4333-8333-<n>. */
function seedWithStores(count: number): SimulatorSeed {
  const base = DEFAULT_SEED.stores.find((s) => !s.failJobs && !s.failReplace)!;
  const extra = Array.from({ length: count }, (_, i) => ({
    ...base,
    Id: storeGuid(i),
    ClientMachine: `bench-${i + 1}.example.test`,
    Storepath: `/etc/ssl/bench-${i + 1}.pem`,
  }));
  return { ...DEFAULT_SEED, stores: [...DEFAULT_SEED.stores, ...extra] };
}
const storeGuid = (i: number) => `33333333-3333-4333-8333-${String(i + 1).padStart(12, '0')}`;

// ---------------------------------------------------------------------------------------------
// 1. synth

interface SynthSample { kind: string; count: number; loadMs: number; synthMs: number }

function synthOnce(kind: 'operations' | 'baseline', count: number, validation: boolean): SynthSample {
  const outdir = fs.mkdtempSync(path.join(WORK, `synth-${kind}-`));
  const res = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, 'synth-child.ts'), kind, String(count), outdir], {
    cwd: WORK,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'test', 'tsconfig.json'), BENCH_VALIDATION: validation ? '1' : '0' },
    encoding: 'utf8',
  });
  fs.rmSync(outdir, { recursive: true, force: true });
  if (res.status !== 0) throw new Error(`synth child (${kind}) failed:\n${res.stdout}\n${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!);
}

function benchSynth(): BenchRow[] {
  log(`synth: ${SYNTH_COUNT} CertificateDeployments vs ${SYNTH_COUNT} bare terraform_data, ${SYNTH_REPS} repetitions each (fresh process each)`);
  const ops: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < SYNTH_REPS; r++) {
    // Alternating (and swapping which goes first), so a slow phase of the machine hits both alike.
    if (r % 2 === 0) ops.push(synthOnce('operations', SYNTH_COUNT, false).synthMs);
    base.push(synthOnce('baseline', SYNTH_COUNT, false).synthMs);
    if (r % 2 === 1) ops.push(synthOnce('operations', SYNTH_COUNT, false).synthMs);
    log(`  rep ${r + 1}: operations ${ops[r].toFixed(0)} ms, baseline ${base[r].toFixed(0)} ms`);
  }
  // With cdktf's default validation: one run each (the baseline takes most of a minute, see below).
  log('synth with cdktf\'s default validation (one run each)');
  const opsValidated = synthOnce('operations', SYNTH_COUNT, true).synthMs;
  const baseValidated = synthOnce('baseline', SYNTH_COUNT, true).synthMs;
  log(`  operations ${opsValidated.toFixed(0)} ms, baseline ${baseValidated.toFixed(0)} ms`);
  return [
    {
      id: 'synth',
      label: `synth, ${SYNTH_COUNT} CertificateDeployments vs ${SYNTH_COUNT} bare terraform_data`,
      value: round(median(ops) / median(base)),
      target: 1.5,
      unit: 'x',
      details: {
        note: 'construction + app.synth() in a fresh ts-node process; App({ skipValidation: true }) on both sides (see synthValidated)',
        operationsMs: ops.map((x) => round(x, 1)),
        baselineMs: base.map((x) => round(x, 1)),
        medianOperationsMs: round(median(ops), 1),
        medianBaselineMs: round(median(base), 1),
      },
    },
    {
      id: 'synthValidated',
      label: `synth with cdktf's default validation, ${SYNTH_COUNT} each (one run, no target)`,
      value: round(opsValidated / baseValidated, 3),
      unit: 'x',
      details: {
        note: 'cdktf validates every terraform_data by spawning `terraform version`; the carriers do it once per stack',
        operationsMs: round(opsValidated, 1),
        baselineMs: round(baseValidated, 1),
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// 2. cold start

function spawnMs(args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const res = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - start;
  if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${res.status}: ${res.stderr}`);
  return ms;
}

function benchColdStart(): BenchRow {
  log(`cold start: node bundle/runner/runner.cjs vs node -e 0, ${START_REPS} repetitions of ${SPAWNS_PER_REP} spawns each`);
  if (!fs.existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run \`npm run compile\` first`);
  const ledger = fs.mkdtempSync(path.join(WORK, 'ledger-'));
  // `report` loads the whole runner, parses the spec and reads the ledger directory: start-up
  // without the network call.
  const env = {
    ...process.env,
    CDKTF_KEYFACTOR_SPEC: JSON.stringify({ v: 1, operation: 'CertificateDeployment', stack: 'bench', path: 'bench/start', key: storeGuid(0) }),
    CDKTF_KEYFACTOR_LEDGER_DIR: ledger,
  };
  const runner: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < 3; i++) { spawnMs([RUNNER, 'report'], env); spawnMs(['-e', '0'], env); } // warm the file cache
  for (let r = 0; r < START_REPS; r++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < SPAWNS_PER_REP; i++) {
      a += spawnMs([RUNNER, 'report'], env);
      b += spawnMs(['-e', '0'], env);
    }
    runner.push(a / SPAWNS_PER_REP);
    node.push(b / SPAWNS_PER_REP);
    log(`  rep ${r + 1}: runner ${runner[r].toFixed(1)} ms, node -e 0 ${node[r].toFixed(1)} ms`);
  }
  return {
    id: 'coldStart',
    label: 'runner cold start vs node -e 0',
    value: round(median(runner) / median(node)),
    target: 2,
    unit: 'x',
    details: {
      note: `mean of ${SPAWNS_PER_REP} spawns per repetition; the runner runs \`report\` (loads everything, reads the ledger, no network)`,
      runnerMs: runner.map((x) => round(x, 1)),
      nodeMs: node.map((x) => round(x, 1)),
      medianRunnerMs: round(median(runner), 1),
      medianNodeMs: round(median(node), 1),
      bundleBytes: fs.statSync(RUNNER).size,
    },
  };
}

/** The spec `report` runs with in the ledger benchmarks, and its environment. */
const READ_SPEC = { v: 1, operation: 'CertificateDeployment', stack: 'bench', path: 'bench/ledger', key: storeGuid(0) };
const READ_ENV = { ...process.env, CDKTF_KEYFACTOR_SPEC: JSON.stringify(READ_SPEC), KEYFACTOR_HOSTNAME: 'https://kf.example.test' };

/** A ledger of `count` records: a year of applies of 100 instances, the `report` instance's create among them (the last). */
function ledgerRecords(count: number): LedgerEntry[] {
  const ownHash = specHash(READ_SPEC as never);
  const own = identityKey({ origin: origin(READ_ENV), stack: READ_SPEC.stack, constructPath: READ_SPEC.path, instanceKey: READ_SPEC.key, specHash: ownHash });
  return Array.from({ length: count }, (_, i) => {
    const key = i === count - 1 ? own : createHash('sha256').update(String(i % 100)).digest('hex').slice(0, 12);
    return {
      recordId: `2026${String(100000000 + i)}-${1000 + i}-0a0b0c0d-${key}`, operation: 'CertificateDeployment', phase: 'create', stack: 'bench',
      constructPath: i === count - 1 ? READ_SPEC.path : `bench/d${i % 100}`, instanceKey: READ_SPEC.key, specHash: i === count - 1 ? ownHash : 'h',
      origin: origin(READ_ENV), startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60000).toISOString(),
      finishedAt: new Date(Date.UTC(2026, 0, 1) + i * 60000 + 900).toISOString(), outcome: 'succeeded', jobIds: ['0f1e2d3c-4b5a-4697-8887-766554433221'],
      request: { CertificateId: 3, CertificateStores: [{ CertificateStoreId: storeGuid(i % 100), Alias: 'web', Overwrite: true }], Schedule: { Immediate: true } },
    };
  });
}

/**
 * `report` (what every apply runs after each create with a secret) in a ledger of LEDGER_RECORDS
 * records against one of LEDGER_SMALL, each named by the environment `big` and `small` add: each
 * spawn reads its own instance's records only, so the size of the ledger should not show.
 */
function benchReport(id: string, where: string, big: NodeJS.ProcessEnv, small: NodeJS.ProcessEnv, note: string): BenchRow {
  log(`ledger read (${where}): node bundle/runner/runner.cjs report in a ledger of ${LEDGER_RECORDS} records vs ${LEDGER_SMALL}, ` +
    `${START_REPS} repetitions of ${SPAWNS_PER_REP} spawns each`);
  const spawnReport = (env: NodeJS.ProcessEnv) => {
    const res = spawnSync(process.execPath, [RUNNER, 'report'], { env: { ...READ_ENV, ...env }, encoding: 'utf8' });
    if (!res.stdout.includes('succeeded, job')) throw new Error(`ledger read (${where}): report did not find its record: ${res.stdout}${res.stderr}`);
  };
  const mean = (env: NodeJS.ProcessEnv) => {
    const start = performance.now();
    for (let i = 0; i < SPAWNS_PER_REP; i++) spawnReport(env);
    return (performance.now() - start) / SPAWNS_PER_REP;
  };
  for (let i = 0; i < 3; i++) { spawnReport(big); spawnReport(small); } // warm caches
  const bigMs: number[] = [];
  const smallMs: number[] = [];
  for (let r = 0; r < START_REPS; r++) {
    bigMs.push(mean(big));
    smallMs.push(mean(small));
    log(`  rep ${r + 1}: ${LEDGER_RECORDS} records ${bigMs[r].toFixed(1)} ms, ${LEDGER_SMALL} records ${smallMs[r].toFixed(1)} ms`);
  }
  return {
    id,
    label: `runner \`report\`, ledger of ${LEDGER_RECORDS} records vs ${LEDGER_SMALL}${where === 'directory' ? '' : ` (${where})`}`,
    value: round(median(bigMs) / median(smallMs)),
    target: 1.2,
    unit: 'x',
    details: {
      note: `mean of ${SPAWNS_PER_REP} spawns per repetition; records of 100 instances; ${note}`,
      records: LEDGER_RECORDS,
      bigMs: bigMs.map((x) => round(x, 1)),
      smallMs: smallMs.map((x) => round(x, 1)),
      medianBigMs: round(median(bigMs), 1),
      medianSmallMs: round(median(smallMs), 1),
    },
  };
}

function benchLedgerRead(): BenchRow {
  const ledger = (count: number) => {
    const dir = fs.mkdtempSync(path.join(WORK, `ledger-${count}-`));
    const store = new DirectoryStore(dir);
    for (const r of ledgerRecords(count)) store.putSync(r); // where the runner writes it
    return { CDKTF_KEYFACTOR_LEDGER_DIR: dir };
  };
  return benchReport('ledgerRead', 'directory', ledger(LEDGER_RECORDS), ledger(LEDGER_SMALL), 'the instance\'s own found by the identity key in its file name');
}

/** The shared stores' servers, started for the store rows and stopped after them. */
interface StoreServers { s3: S3Server; azurite: Azurite; pg: PostgresServer }

/** Each store's ledger read: records written through the store's own (bundled) client, 32 at a time. */
async function benchLedgerReadStores(servers: StoreServers): Promise<BenchRow[]> {
  const { s3, azurite, pg } = servers;
  await new BlobServiceClient(azurite.endpoint, new StorageSharedKeyCredential(azurite.account, azurite.key)).getContainerClient('bench').create();
  const stores: Array<{ id: string; where: string; url: (name: string) => string; env: Record<string, string>; note: string }> = [
    { id: 'ledgerReadS3', where: 'S3, s3rver', url: (n) => `s3://bench/${n}?endpoint=${encodeURIComponent(s3.endpoint)}&use_path_style=true`,
      env: { AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: 'bench' }, note: 'one ListObjectsV2 of the instance\'s prefix, then its objects' },
    { id: 'ledgerReadAzureBlob', where: 'Azure Blob, Azurite', url: (n) => `azblob://${azurite.account}/bench/${n}?endpoint=${encodeURIComponent(azurite.endpoint)}`,
      env: { AZURE_STORAGE_KEY: azurite.key }, note: 'one listing of the instance\'s prefix, then its blobs' },
    { id: 'ledgerReadPostgres', where: 'PostgreSQL', url: (n) => `postgres://${pg.superuser}@${pg.host}:${pg.port}/postgres?schema=${n}&sslmode=disable`,
      env: { PGPASSWORD: pg.password }, note: 'one query on the primary key\'s range of the instance' },
  ];
  const rows: BenchRow[] = [];
  for (const s of stores) {
    const fill = async (name: string, count: number) => {
      const env = { ...process.env, ...s.env, CDKTF_KEYFACTOR_LEDGER: s.url(name) };
      const choice = chooseLedger(env, WORK);
      const { store } = openLedger(choice, env);
      const records = ledgerRecords(count);
      const started = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (next < records.length) await store.put(records[next++]);
      }));
      await store.close();
      log(`  ${s.where}: ${count} records written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return { ...s.env, CDKTF_KEYFACTOR_LEDGER: s.url(name) };
    };
    const big = await fill('big', LEDGER_RECORDS);
    const small = await fill('small', LEDGER_SMALL);
    rows.push(benchReport(s.id, s.where, big, small, s.note));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 3. apply, and 4. job wait (both through terraform, against one simulator)

interface TfResult { status: number; output: string; ms: number }

/** Async on purpose: the simulator answers from this process while terraform runs. */
async function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TfResult> {
  const start = performance.now();
  const child = spawn('terraform', args, { cwd, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const status = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  const ms = performance.now() - start;
  if (status !== 0) throw new Error(`terraform ${args.join(' ')} failed (${status}) in ${cwd}:\n${output.slice(-4000)}`);
  return { status, output, ms };
}

function terraformEnv(sim: KeyfactorSimulator, ledger: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYFACTOR_') && !k.startsWith('TF_')) env[k] = v;
  const user = DEFAULT_SEED.users[0];
  return {
    ...env,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_USERNAME: user.username,
    KEYFACTOR_PASSWORD: user.password,
    KEYFACTOR_DOMAIN: user.domain ?? '',
    CDKTF_KEYFACTOR_LEDGER_DIR: ledger,
    ...extra,
  };
}

/** Synthesizes one stack into `outdir` and returns its directory. */
function synthStack(outdir: string, name: string, build: (stack: TerraformStack) => void): string {
  const app = new App({ outdir, skipValidation: true });
  const stack = new TerraformStack(app, name);
  const dir = path.join(outdir, 'stacks', name);
  // State beside the configuration (cdktf's default is the current directory).
  new LocalBackend(stack, { path: path.join(dir, 'terraform.tfstate') });
  build(stack);
  app.synth();
  return dir;
}

/** A copy of a synthesized stack whose every provisioner runs `command` instead of the runner. */
function baselineCopy(stackDir: string, to: string, command = 'node -e 0'): string {
  fs.cpSync(stackDir, to, { recursive: true });
  const file = path.join(to, 'cdk.tf.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  let provisioners = 0;
  for (const resource of Object.values<any>(json.resource.terraform_data)) {
    for (const p of resource.provisioner ?? []) {
      p['local-exec'].command = command;
      provisioners++;
    }
  }
  json.terraform.backend.local.path = path.join(to, 'terraform.tfstate');
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
  if (provisioners === 0) throw new Error('baseline copy: no provisioners found');
  return to;
}

async function benchApply(sim: KeyfactorSimulator): Promise<BenchRow[]> {
  log(`apply: ${APPLY_COUNT} CertificateDeployments, -parallelism=${PARALLELISM}, ${LATENCY_MS} ms added latency, vs the same with node -e 0 provisioners (and with a minimal HTTP client); ${APPLY_REPS} repetitions`);
  const opsDir = synthStack(path.join(WORK, 'apply-ops'), 'apply', (stack) => {
    for (let i = 0; i < APPLY_COUNT; i++) {
      new CertificateDeployment(stack, `deployment-${i}`, {
        certificateId: 1 + (i % 5),
        schedule: Schedule.immediate(),
        stores: [{ certificateStoreId: storeGuid(i), alias: `app-${i}` }],
      });
    }
  });
  const baseDir = baselineCopy(opsDir, path.join(WORK, 'apply-base'));
  const floorDir = baselineCopy(opsDir, path.join(WORK, 'apply-floor'), `node "${path.join(__dirname, 'floor-provisioner.js')}"`);
  const ledgerRoot = fs.mkdtempSync(path.join(WORK, 'apply-ledger-'));
  for (const dir of [opsDir, baseDir, floorDir]) await terraform(['init', '-input=false', '-no-color'], dir, terraformEnv(sim, ledgerRoot));

  const apply = async (dir: string, rep: number) => {
    fs.rmSync(path.join(dir, 'terraform.tfstate'), { force: true });
    fs.rmSync(path.join(dir, 'terraform.tfstate.backup'), { force: true });
    sim.reset();
    sim.injectFaults({ kind: 'latency', latencyMs: LATENCY_MS });
    const ledger = fs.mkdtempSync(path.join(ledgerRoot, `rep${rep}-`));
    const res = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, terraformEnv(sim, ledger));
    return res.ms;
  };
  const checkAdds = (what: string) => {
    const adds = sim.received('POST', '/CertificateStores/Certificates/Add');
    if (adds.length !== APPLY_COUNT || adds.some((a) => a.fault !== 'latency' || a.status !== 200)) {
      throw new Error(`apply (${what}): expected ${APPLY_COUNT} delayed, successful Add requests, got ${adds.length}`);
    }
  };
  const ops: number[] = [];
  const base: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < APPLY_REPS; r++) {
    ops.push(await apply(opsDir, r));
    checkAdds('runner');
    base.push(await apply(baseDir, r));
    if (sim.requests.length !== 0) throw new Error('apply: the baseline sent requests');
    floor.push(await apply(floorDir, r));
    checkAdds('minimal client');
    log(`  rep ${r + 1}: CertificateDeployments ${(ops[r] / 1000).toFixed(2)} s, node -e 0 ${(base[r] / 1000).toFixed(2)} s, minimal client ${(floor[r] / 1000).toFixed(2)} s`);
  }
  sim.reset();
  const floorRow: BenchRow = {
    id: 'applyFloor',
    label: `terraform apply, the same ${APPLY_COUNT} Adds sent by a minimal node:http script vs node -e 0 (no target)`,
    value: round(median(floor) / median(base)),
    unit: 'x',
    details: {
      note: 'bench/floor-provisioner.js: one POST with node:http and one file written per provisioner; what any node-based provisioner pays',
      floorMs: floor.map((x) => round(x, 0)),
      medianFloorMs: round(median(floor), 0),
      runnerOverFloor: round(median(ops) / median(floor)),
    },
  };
  return [{
    id: 'apply',
    reference: { value: floorRow.value, label: 'same requests from a minimal node:http script' },
    label: `terraform apply, ${APPLY_COUNT} CertificateDeployments (+${LATENCY_MS} ms/request) vs node -e 0 provisioners`,
    value: round(median(ops) / median(base)),
    target: 1.2,
    unit: 'x',
    details: {
      note: `fresh state each time; -parallelism=${PARALLELISM}; simulator over plain HTTP on loopback; the baseline is the same cdk.tf.json with every provisioner command replaced by \`node -e 0\``,
      operationsMs: ops.map((x) => round(x, 0)),
      baselineMs: base.map((x) => round(x, 0)),
      medianOperationsMs: round(median(ops), 0),
      medianBaselineMs: round(median(base), 0),
    },
  }, floorRow];
}

/**
 * The apply of benchApply with the ledger in PostgreSQL (a fresh schema each time, so its table is
 * created by the apply as a first apply creates it) vs in the local directory, alternating.
 */
async function benchApplyPostgres(sim: KeyfactorSimulator, pg: PostgresServer): Promise<BenchRow> {
  log(`apply with the PostgreSQL ledger store vs the local directory: ${APPLY_COUNT} CertificateDeployments, -parallelism=${PARALLELISM}, ` +
    `${LATENCY_MS} ms added latency; ${APPLY_REPS} repetitions`);
  const dir = synthStack(path.join(WORK, 'apply-pg'), 'applypg', (stack) => {
    for (let i = 0; i < APPLY_COUNT; i++) {
      new CertificateDeployment(stack, `deployment-${i}`, { certificateId: 1 + (i % 5), schedule: Schedule.immediate(), stores: [{ certificateStoreId: storeGuid(i), alias: `pg-${i}` }] });
    }
  });
  const ledgerRoot = fs.mkdtempSync(path.join(WORK, 'apply-pg-ledger-'));
  await terraform(['init', '-input=false', '-no-color'], dir, terraformEnv(sim, ledgerRoot));
  const apply = async (ledger: Record<string, string>) => {
    fs.rmSync(path.join(dir, 'terraform.tfstate'), { force: true });
    fs.rmSync(path.join(dir, 'terraform.tfstate.backup'), { force: true });
    sim.reset();
    sim.injectFaults({ kind: 'latency', latencyMs: LATENCY_MS });
    const env = { ...terraformEnv(sim, ''), ...ledger };
    delete env.CDKTF_KEYFACTOR_LEDGER_DIR;
    const ms = (await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, env)).ms;
    if (sim.received('POST', '/CertificateStores/Certificates/Add').length !== APPLY_COUNT) throw new Error('applyPostgres: not every Add was sent');
    return ms;
  };
  const local: number[] = [];
  const stored: number[] = [];
  for (let r = 0; r < APPLY_REPS; r++) {
    const inDirectory = async () => local.push(await apply({ CDKTF_KEYFACTOR_LEDGER: fs.mkdtempSync(path.join(ledgerRoot, `rep${r}-`)) }));
    const inPostgres = async () => stored.push(await apply({
      CDKTF_KEYFACTOR_LEDGER: `postgres://${pg.superuser}@${pg.host}:${pg.port}/postgres?schema=bench_${r}&sslmode=disable`, PGPASSWORD: pg.password,
    }));
    // Alternating which goes first, so a slow phase of the machine hits both alike.
    if (r % 2 === 0) { await inPostgres(); await inDirectory(); } else { await inDirectory(); await inPostgres(); }
    const rows = await pg.query(`SELECT count(*)::int AS n FROM bench_${r}.keyfactor_ledger WHERE name LIKE 'records/%'`);
    if (rows.rows[0].n !== APPLY_COUNT) throw new Error(`applyPostgres: ${rows.rows[0].n} records in PostgreSQL, expected ${APPLY_COUNT}`);
    log(`  rep ${r + 1}: PostgreSQL ${(stored[r] / 1000).toFixed(2)} s, directory ${(local[r] / 1000).toFixed(2)} s`);
  }
  sim.reset();
  return {
    id: 'applyPostgres',
    label: `terraform apply, ${APPLY_COUNT} CertificateDeployments, ledger in PostgreSQL vs in the local directory`,
    value: round(median(stored) / median(local)),
    target: 1.3,
    unit: 'x',
    details: {
      note: `fresh state and a fresh schema (its table created by the apply) each time; -parallelism=${PARALLELISM}; PostgreSQL 15 on loopback, password auth (SCRAM)`,
      postgresMs: stored.map((x) => round(x, 0)),
      directoryMs: local.map((x) => round(x, 0)),
      medianPostgresMs: round(median(stored), 0),
      medianDirectoryMs: round(median(local), 0),
    },
  };
}

/** Token requests the identity provider sees for an apply (and destroy) of APPLY_COUNT operations with OAuth client credentials. */
async function benchOAuthTokens(sim: KeyfactorSimulator): Promise<BenchRow> {
  log(`OAuth tokens: apply and destroy of ${APPLY_COUNT} CertificateDeployments with client credentials, -parallelism=${PARALLELISM}`);
  const dir = synthStack(path.join(WORK, 'oauth'), 'oauth', (stack) => {
    for (let i = 0; i < APPLY_COUNT; i++) {
      new CertificateDeployment(stack, `deployment-${i}`, { certificateId: 3, schedule: Schedule.immediate(), stores: [{ certificateStoreId: storeGuid(i), alias: `oauth-${i}` }] });
    }
  });
  const client = DEFAULT_SEED.oauthClients![0];
  const env = terraformEnv(sim, fs.mkdtempSync(path.join(WORK, 'oauth-ledger-')), {
    KEYFACTOR_AUTH_CLIENT_ID: client.clientId,
    KEYFACTOR_AUTH_CLIENT_SECRET: client.clientSecret,
    KEYFACTOR_AUTH_TOKEN_URL: sim.tokenUrl,
    // A cache of its own, as a fresh pipeline job has (the default is per user).
    CDKTF_KEYFACTOR_TOKEN_CACHE: path.join(fs.mkdtempSync(path.join(WORK, 'oauth-cache-')), 'tokens'),
  });
  for (const name of ['KEYFACTOR_USERNAME', 'KEYFACTOR_PASSWORD', 'KEYFACTOR_DOMAIN']) delete env[name];
  await terraform(['init', '-input=false', '-no-color'], dir, env);
  sim.reset();
  const tokenPath = new URL(sim.tokenUrl).pathname;
  await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, env);
  const adds = sim.received('POST', '/CertificateStores/Certificates/Add').length;
  const applyTokens = sim.received('POST', tokenPath).length;
  if (adds !== APPLY_COUNT) throw new Error(`OAuth tokens: expected ${APPLY_COUNT} Adds, got ${adds}`);
  // Not reset in between: that would revoke the tokens the apply cached.
  const count = (method: string, route: string, since = 0) => sim.received(method, route).length - since;
  const [removesBefore, tokensBefore] = [count('POST', '/CertificateStores/Certificates/Remove'), count('POST', tokenPath)];
  await terraform(['destroy', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, env);
  const removes = count('POST', '/CertificateStores/Certificates/Remove', removesBefore);
  const destroyTokens = count('POST', tokenPath, tokensBefore);
  if (removes !== APPLY_COUNT) throw new Error(`OAuth tokens: expected ${APPLY_COUNT} Removes, got ${removes}`);
  sim.reset();
  log(`  ${applyTokens} token request(s) for ${adds} Adds; ${destroyTokens} for ${removes} Removes`);
  return {
    id: 'oauthTokens',
    label: `OAuth token requests, apply of ${APPLY_COUNT} operations with client credentials`,
    value: applyTokens,
    target: 1,
    unit: 'requests',
    details: {
      note: 'the runner processes of an apply share one token through an owner-only cache (CDKTF_KEYFACTOR_TOKEN_CACHE); destroy starts with the token cached by the apply',
      adds, applyTokens, removes, destroyTokens,
    },
  };
}

// 5. the undo registry (deleting a construct runs its undo): its cost on apply and destroy, and
// what deleting every construct from the code costs against `terraform destroy`

/** A copy of a synthesized stack without its undo registry blocks (the rendering before it). */
function withoutRegistry(stackDir: string, to: string): string {
  fs.cpSync(stackDir, to, { recursive: true });
  const file = path.join(to, 'cdk.tf.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const name of Object.keys(json.resource.terraform_data)) if (/^KeyfactorUndo\d*$/.test(name)) delete json.resource.terraform_data[name];
  json.terraform.backend.local.path = path.join(to, 'terraform.tfstate');
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
  return to;
}

async function benchUndoRegistry(sim: KeyfactorSimulator): Promise<BenchRow[]> {
  log(`undo registry: ${APPLY_COUNT} CertificateDeployments, -parallelism=${PARALLELISM}: apply and destroy with and without the registry, and deleting them all from the code; ${APPLY_REPS} repetitions`);
  const build = (stack: TerraformStack) => {
    for (let i = 0; i < APPLY_COUNT; i++) {
      new CertificateDeployment(stack, `deployment-${i}`, { certificateId: 1 + (i % 5), schedule: Schedule.immediate(), stores: [{ certificateStoreId: storeGuid(i), alias: `app-${i}` }] });
    }
  };
  const withDir = synthStack(path.join(WORK, 'undo-with'), 'undo', build);
  const withoutDir = withoutRegistry(withDir, path.join(WORK, 'undo-without'));
  const baseWith = baselineCopy(withDir, path.join(WORK, 'undo-base-with'));
  const baseWithout = baselineCopy(withoutDir, path.join(WORK, 'undo-base-without'));
  // The same stack after every deployment was deleted from the code (the stack keeps its defaults).
  const deletedDir = synthStack(path.join(WORK, 'undo-deleted'), 'undo', (stack) => new KeyfactorDefaults(stack, 'KeyfactorDefaults'));
  const deletedConfig = fs.readFileSync(path.join(deletedDir, 'cdk.tf.json'), 'utf8').split(deletedDir).join(withDir);
  const ledgerRoot = fs.mkdtempSync(path.join(WORK, 'undo-ledger-'));
  for (const dir of [withDir, withoutDir, baseWith, baseWithout]) await terraform(['init', '-input=false', '-no-color'], dir, terraformEnv(sim, ledgerRoot));

  const tf = async (dir: string, verb: 'apply' | 'destroy', rep: number, fresh: boolean) => {
    if (fresh) for (const f of ['terraform.tfstate', 'terraform.tfstate.backup']) fs.rmSync(path.join(dir, f), { force: true });
    sim.reset();
    const ledger = fs.mkdtempSync(path.join(ledgerRoot, `rep${rep}-`));
    return (await terraform([verb, '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, terraformEnv(sim, ledger))).ms;
  };
  const removes = (what: string) => {
    const n = sim.received('POST', '/CertificateStores/Certificates/Remove').length;
    if (n !== APPLY_COUNT) throw new Error(`undo registry (${what}): expected ${APPLY_COUNT} Remove requests, got ${n}`);
  };
  const m = { applyWith: [] as number[], applyWithout: [] as number[], destroyWith: [] as number[], destroyWithout: [] as number[], deleted: [] as number[] };
  const stateBytes = { with: 0, without: 0 };
  for (let r = 0; r < APPLY_REPS; r++) {
    m.applyWith.push(await tf(baseWith, 'apply', r, true));
    m.applyWithout.push(await tf(baseWithout, 'apply', r, true));
    stateBytes.with = fs.statSync(path.join(baseWith, 'terraform.tfstate')).size;
    stateBytes.without = fs.statSync(path.join(baseWithout, 'terraform.tfstate')).size;
    await tf(withDir, 'apply', r, true);
    m.destroyWith.push(await tf(withDir, 'destroy', r, false));
    removes('destroy with the registry');
    await tf(withoutDir, 'apply', r, true);
    m.destroyWithout.push(await tf(withoutDir, 'destroy', r, false));
    removes('destroy without the registry');
    await tf(withDir, 'apply', r, true);
    const config = path.join(withDir, 'cdk.tf.json');
    const full = fs.readFileSync(config, 'utf8');
    fs.writeFileSync(config, deletedConfig);
    try {
      m.deleted.push(await tf(withDir, 'apply', r, false));
    } finally {
      fs.writeFileSync(config, full);
    }
    removes('deleted from the code');
    log(`  rep ${r + 1}: apply ${(m.applyWith[r] / 1000).toFixed(2)} s with the registry, ${(m.applyWithout[r] / 1000).toFixed(2)} s without (node -e 0); ` +
      `destroy ${(m.destroyWith[r] / 1000).toFixed(2)} s with, ${(m.destroyWithout[r] / 1000).toFixed(2)} s without; all deleted from the code ${(m.deleted[r] / 1000).toFixed(2)} s`);
  }
  sim.reset();
  const ms = (xs: number[]) => xs.map((x) => round(x, 0));
  return [{
    id: 'registryApply',
    label: `terraform apply, ${APPLY_COUNT} CertificateDeployments with vs without the undo registry (node -e 0 provisioners, no target)`,
    value: round(median(m.applyWith) / median(m.applyWithout)),
    unit: 'x',
    details: {
      note: 'what the registry\'s extra instances (a copy of each spec) cost Terraform on a first apply',
      withMs: ms(m.applyWith), withoutMs: ms(m.applyWithout), stateBytesWith: stateBytes.with, stateBytesWithout: stateBytes.without,
    },
  }, {
    id: 'registryDestroy',
    label: `terraform destroy, ${APPLY_COUNT} CertificateDeployments with vs without the undo registry (runner, no target)`,
    value: round(median(m.destroyWith) / median(m.destroyWithout)),
    unit: 'x',
    details: { note: 'each registry instance starts the runner, which finds the carrier configured and exits', withMs: ms(m.destroyWith), withoutMs: ms(m.destroyWithout) },
  }, {
    id: 'deleteUndo',
    label: `every one of ${APPLY_COUNT} CertificateDeployments deleted from the code and applied vs terraform destroy (runner, no target)`,
    value: round(median(m.deleted) / median(m.destroyWith)),
    unit: 'x',
    details: { note: `${APPLY_COUNT} Remove requests either way`, deletedMs: ms(m.deleted), destroyMs: ms(m.destroyWith) },
  }];
}

interface PollStats { polls: number; requests: number; pagesNeeded: number; guidsPerRequest: number[]; maxQueryChars: number; pageNumbers: number[] }

/** JobHistory requests of a JobWait run, grouped into polls by the progress lines it printed. */
function pollStats(output: string, requests: ReturnType<KeyfactorSimulator['received']>, guids: number): PollStats {
  const polls = (output.match(new RegExp(`waiting for jobs: \\d+/${guids} done`, 'g')) ?? []).length;
  const guidsPerRequest = requests.map((r) => (r.query.QueryString?.match(/JobId -eq "/g) ?? []).length);
  // Rows each poll needs: one per GUID, in pages of PAGE_SIZE per query.
  const chunks = requests.filter((r) => Number(r.query.PageReturned ?? 1) === 1);
  const pagesNeeded = chunks.reduce((n, r) => n + Math.max(1, Math.ceil((r.query.QueryString?.match(/JobId -eq "/g) ?? []).length / PAGE_SIZE)), 0);
  return {
    polls,
    requests: requests.length,
    pagesNeeded,
    guidsPerRequest,
    maxQueryChars: Math.max(...requests.map((r) => encodeURIComponent(r.query.QueryString ?? '').length)),
    pageNumbers: requests.map((r) => Number(r.query.PageReturned ?? 1)),
  };
}

async function benchJobWait(sim: KeyfactorSimulator): Promise<BenchRow> {
  log(`job wait: one CertificateDeployment with ${WAIT_GUIDS} stores and WaitPolicy.forCompletion (poll every 1 s)`);
  let deployment!: CertificateDeployment;
  const dir = synthStack(path.join(WORK, 'wait'), 'wait', (stack) => {
    deployment = new CertificateDeployment(stack, 'bulk', {
      certificateId: 3,
      schedule: Schedule.immediate(),
      wait: WaitPolicy.forCompletion({ timeoutSeconds: Number(process.env.BENCH_WAIT_TIMEOUT || 300), pollIntervalSeconds: 1 }),
      stores: Array.from({ length: WAIT_GUIDS }, (_, i) => ({ certificateStoreId: storeGuid(i), alias: 'bulk' })),
    });
  });
  const ledger = fs.mkdtempSync(path.join(WORK, 'wait-ledger-'));
  sim.reset();
  await terraform(['init', '-input=false', '-no-color'], dir, terraformEnv(sim, ledger));
  const applied = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, terraformEnv(sim, ledger));
  const standard = pollStats(applied.output, sim.received('GET', '/OrchestratorJobs/JobHistory'), WAIT_GUIDS);
  if (standard.polls < 1 || standard.requests === 0) throw new Error(`job wait: no polls seen:\n${applied.output.slice(-3000)}`);
  log(`  default CDKTF_KEYFACTOR_MAX_QUERY_LENGTH: ${standard.polls} polls, ${standard.requests} requests (${(standard.requests / standard.polls).toFixed(1)} per poll), GUIDs per request ${[...new Set(standard.guidsPerRequest)].join('/')}`);

  // The same wait again (jobs now all final: one poll), with query strings allowed to be long.
  const before = sim.received('GET', '/OrchestratorJobs/JobHistory').length;
  const waitAddress = `${deployment.waitResource!.terraformResourceType}.${deployment.waitResource!.friendlyUniqueId}`;
  const again = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-replace=${waitAddress}`], dir,
    terraformEnv(sim, ledger, { CDKTF_KEYFACTOR_MAX_QUERY_LENGTH: '16000' }));
  const long = pollStats(again.output, sim.received('GET', '/OrchestratorJobs/JobHistory').slice(before), WAIT_GUIDS);
  log(`  CDKTF_KEYFACTOR_MAX_QUERY_LENGTH=16000: ${long.polls} poll(s), ${long.requests} requests (${(long.requests / Math.max(1, long.polls)).toFixed(1)} per poll)`);
  sim.reset();

  const perPoll = standard.requests / standard.polls;
  return {
    id: 'jobWait',
    label: `job wait, ${WAIT_GUIDS} GUIDs: JobHistory requests per poll`,
    value: round(perPoll),
    target: 1,
    unit: 'req/poll',
    details: {
      note: 'More GUIDs than fit one query (CDKTF_KEYFACTOR_MAX_QUERY_LENGTH, default 2000 URL-encoded characters, about 30) are read ' +
        'through one query for the window (JobType Management, OperationStart since the first Add), pages of up to 1,000 rows, filtered by GUID',
      polls: standard.polls,
      requests: standard.requests,
      requestsPerPoll: round(perPoll),
      pagesPerPoll: round(standard.pagesNeeded / standard.polls),
      guidsPerRequest: [...new Set(standard.guidsPerRequest)].sort((a, b) => b - a),
      maxEncodedQueryChars: standard.maxQueryChars,
      withMaxQueryLength16000: {
        polls: long.polls,
        requests: long.requests,
        requestsPerPoll: round(long.requests / Math.max(1, long.polls)),
        pagesPerPoll: round(long.pagesNeeded / Math.max(1, long.polls)),
        pageNumbers: long.pageNumbers,
        maxEncodedQueryChars: long.maxQueryChars,
      },
    },
  };
}

/** One CertificateDeployment over BIG_STORES stores with a wait, against the same with `node -e 0` provisioners. */
async function benchBigDeployment(sim: KeyfactorSimulator): Promise<BenchRow> {
  log(`big deployment: one CertificateDeployment with ${BIG_STORES} stores and WaitPolicy.forCompletion, -parallelism=${PARALLELISM}, vs node -e 0 provisioners`);
  const dir = synthStack(path.join(WORK, 'big'), 'big', (stack) => {
    new CertificateDeployment(stack, 'fleet', {
      certificateId: 3,
      schedule: Schedule.immediate(),
      wait: WaitPolicy.forCompletion({ timeoutSeconds: 900, pollIntervalSeconds: 1 }),
      stores: Array.from({ length: BIG_STORES }, (_, i) => ({ certificateStoreId: storeGuid(i), alias: 'fleet' })),
    });
  });
  const baseDir = baselineCopy(dir, path.join(WORK, 'big-base'));
  const ledger = fs.mkdtempSync(path.join(WORK, 'big-ledger-'));
  for (const d of [dir, baseDir]) await terraform(['init', '-input=false', '-no-color'], d, terraformEnv(sim, ledger));
  sim.reset();
  const applied = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], dir, terraformEnv(sim, ledger));
  const adds = sim.received('POST', '/CertificateStores/Certificates/Add').length;
  if (adds !== BIG_STORES || !applied.output.includes(`all ${BIG_STORES} job(s) completed`)) {
    throw new Error(`big deployment: expected ${BIG_STORES} Adds and a completed wait, got ${adds} Adds:\n${applied.output.slice(-2000)}`);
  }
  const polls = pollStats(applied.output, sim.received('GET', '/OrchestratorJobs/JobHistory'), BIG_STORES);
  sim.reset();
  const base = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`], baseDir, terraformEnv(sim, ledger));
  log(`  ${(applied.ms / 1000).toFixed(1)} s with the runner (${polls.polls} polls, ${polls.requests} JobHistory requests), ${(base.ms / 1000).toFixed(1)} s with node -e 0`);
  return {
    id: 'bigDeployment',
    label: `terraform apply, one CertificateDeployment over ${BIG_STORES} stores with a wait vs node -e 0 provisioners`,
    value: round(applied.ms / base.ms),
    target: 1.5,
    unit: 'x',
    details: {
      note: 'jobs take 8 s in the simulator, so the wait polls; one repetition (each apply starts thousands of processes)',
      operationsMs: round(applied.ms, 0),
      baselineMs: round(base.ms, 0),
      polls: polls.polls,
      jobHistoryRequests: polls.requests,
    },
  };
}

// ---------------------------------------------------------------------------------------------

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

function machine(): Record<string, string | number> {
  const tf = spawnSync('terraform', ['version'], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } }).stdout?.split('\n')[0] ?? '?';
  return {
    cpu: os.cpus()[0]?.model?.replace(/\s+/g, ' ').trim() ?? '?',
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: osName(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    terraform: tf.replace(/^Terraform /, ''),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cdktf: require('cdktf/package.json').version,
  };
}

function markdownTable(rows: BenchRow[]): string {
  const lines = ['| Measure | Result | Target | Met |', '|---|---|---|---|'];
  for (const r of rows) {
    const value = r.unit === 'x' ? `${r.value.toFixed(2)}x` : `${r.value} ${r.unit}`;
    const target = r.target === undefined ? '–' : r.unit === 'x' ? `<= ${r.target}x` : `${r.target} ${r.unit}`;
    const met = r.target === undefined ? '–' : r.value <= r.target ? 'yes' : '**no**';
    lines.push(`| ${r.label} | ${value} | ${target} | ${met} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const rows: BenchRow[] = [];
  let sim: KeyfactorSimulator | undefined;
  let servers: StoreServers | undefined;
  try {
    if (run('synth')) rows.push(...benchSynth());
    if (run('coldStart')) rows.push(benchColdStart());
    if (run('ledgerRead')) rows.push(benchLedgerRead());
    // Jobs stay Waiting/InProcess 4 s each, so the job wait has several polls to count.
    sim = await KeyfactorSimulator.start({ seed: seedWithStores(Math.max(APPLY_COUNT, WAIT_GUIDS, BIG_STORES)), jobTiming: { waitingMs: 4000, inProcessMs: 4000 } });
    if (run('apply')) rows.push(...await benchApply(sim));
    if (run('oauthTokens')) rows.push(await benchOAuthTokens(sim));
    if (run('jobWait')) rows.push(await benchJobWait(sim));
    if (run('bigDeployment')) rows.push(await benchBigDeployment(sim));
    if (run('undoRegistry')) rows.push(...await benchUndoRegistry(sim));
    if (run('ledgerReadStores') || run('applyPostgres')) {
      const [s3, azurite, pg] = await Promise.all([startS3Server(['bench']), startAzurite(), startPostgres()]);
      servers = { s3, azurite, pg };
      if (run('ledgerReadStores')) rows.push(...await benchLedgerReadStores(servers));
      if (run('applyPostgres')) rows.push(await benchApplyPostgres(sim, pg));
    }
  } finally {
    await Promise.all([servers?.s3.stop(), servers?.azurite.stop(), servers?.pg.stop()]);
    await sim?.stop();
    fs.rmSync(WORK, { recursive: true, force: true });
  }

  const info = machine();
  const machineLine = `${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}; node ${info.node}, terraform ${info.terraform}, cdktf ${info.cdktf}`;
  const table = markdownTable(rows);
  const seconds = (performance.now() - started) / 1000;
  const date = new Date().toISOString();
  process.stdout.write(`\n${table}\n\nMachine: ${machineLine}\nBench time: ${seconds.toFixed(0)} s\n`);
  for (const r of rows) if (r.id === 'jobWait') process.stdout.write(`Job wait: ${JSON.stringify(r.details)}\n`);
  if (QUICK || ONLY) {
    log('BENCH_QUICK or BENCH_ONLY set: results not written');
    return;
  }
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  const config = { synthReps: SYNTH_REPS, startReps: START_REPS, spawnsPerStartRep: SPAWNS_PER_REP, applyReps: APPLY_REPS, synthCount: SYNTH_COUNT, applyCount: APPLY_COUNT, waitGuids: WAIT_GUIDS, latencyMs: LATENCY_MS, parallelism: PARALLELISM };
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ date, machine: info, config, benchSeconds: round(seconds, 0), rows }, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'results.md'), `${table}\n\nMachine: ${machineLine}. Run ${date.slice(0, 10)}, ${seconds.toFixed(0)} s.\n`);
  fs.writeFileSync(path.join(out, 'results.svg'), renderChart(rows.filter((r) => r.target !== undefined), `${machineLine} (${date.slice(0, 10)})`));
  log(`wrote ${path.relative(ROOT, out)}/results.{json,md,svg}`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
