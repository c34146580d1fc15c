import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadSeedFile, parseSeed } from '../../src/simulator';

/**
 * `cdktf-keyfactor simulator` as a user runs it: the compiled CLI in its own process (as `npx`
 * starts it), its banner, `--list`, the example seed, and how it stops.
 */
const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
const EXAMPLE_SEED = path.join(__dirname, '..', '..', 'examples', 'simulator-seed.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

/** Every process group and simulator a test started: stopped after each test, whatever its outcome. */
const startedGroups: number[] = [];
const simulators: number[] = [];
afterEach(() => {
  for (const pid of simulators.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const pgid of startedGroups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A marker no earlier run's leftover carries (the --inventory-every value the simulator is found by). */
const newMarker = () => String(900_000 + Math.floor(Math.random() * 99_999) * 1000 + process.pid % 1000);

/** Starts `command` and resolves once the simulator's banner is complete (or rejects with its output). */
async function started(command: string, args: string[], env = process.env): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  startedGroups.push(child.pid!);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  if (!(await until(() => output.includes('Press Ctrl+C to stop.')))) throw new Error(`the simulator did not start:\n${output}`);
  return { child, output: () => output };
}

describe('cdktf-keyfactor simulator', () => {
  test('--list prints the seeded objects by id and exits; the example seed file is valid and listed', () => {
    const list = spawnSync('node', [CLI, 'simulator', '--list'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout).toContain('11111111-1111-4111-8111-000000000004  Broken 01 (every job fails)');
    expect(list.stdout).toContain('22222222-2222-4222-8222-000000000001  orchestrator-01.example.test');
    expect(list.stdout).toContain('1  www.example.test  in 11111111-1111-4111-8111-000000000001 as "www"');
    expect(list.stdout).toContain('2  Remote Vault  not local (PamLocalEntry is refused)');
    expect(list.stdout).not.toContain('listening');

    const seed = loadSeedFile(EXAMPLE_SEED);
    const fromFile = spawnSync('node', [CLI, 'simulator', '--list', '--seed', EXAMPLE_SEED], { encoding: 'utf8' });
    expect(fromFile.status).toBe(0);
    for (const s of seed.stores) expect(fromFile.stdout).toContain(s.Id);
    expect(fromFile.stdout).toContain('[every job fails]');

    // --json prints the seed itself, in the --seed format: a starting point for one's own.
    const json = spawnSync('node', [CLI, 'simulator', '--list', '--json', '--seed', EXAMPLE_SEED], { encoding: 'utf8' });
    expect(parseSeed(JSON.parse(json.stdout))).toEqual(seed);
  });

  test('the banner lists the seed; SIGTERM stops it', async () => {
    const { child, output } = await started('node', [CLI, 'simulator', '--port', '0']);
    expect(output()).toContain('11111111-1111-4111-8111-000000000001  Web 01 (PEM)');
    expect(output()).toContain('export KEYFACTOR_HOSTNAME=http://127.0.0.1:');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  test('run by npx: killing npx\'s PID (what `kill $!` reaches) stops it too, so its port is freed', async () => {
    const mark = newMarker();
    const { child, output } = await started('npx', ['--no', 'cdktf-keyfactor', 'simulator', '--port', '0', '--inventory-every', mark]);
    const simulator = simulatorProcess(mark);
    expect(alive(simulator)).toBe(true);
    child.kill('SIGTERM');
    expect(await until(() => !alive(simulator))).toBe(true);
    expect(output()).toContain('The process that started the simulator ended: stopping.');
  });

  test('run by node from a shell (nohup, CI steps): it outlives the shell, as a background service', async () => {
    // Without the variables npm gives what it runs (`npm test` gives them to this test too).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
    const mark = newMarker();
    const { child } = await started('sh', ['-c', `node ${CLI} simulator --port 0 --inventory-every ${mark}; exit $?`], env);
    const simulator = simulatorProcess(mark);
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    expect(alive(simulator)).toBe(true);
    process.kill(simulator, 'SIGTERM');
    expect(await until(() => !alive(simulator))).toBe(true);
  });
});

/** The simulator's node process, found by a marker in its arguments (npm and the shell carry them too). */
function simulatorProcess(marker: string): number {
  const pids = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
  const node = pids.filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
    } catch {
      return false;
    }
  });
  simulators.push(...node);
  expect(node).toHaveLength(1);
  return node[0];
}
