import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_SEED, KeyfactorSimulator, SimulatorOptions } from '../../src/simulator';

export interface StartedSimulator {
  readonly sim: KeyfactorSimulator;
  /** Connection settings for the runner: HTTPS with the simulator's CA, Basic auth. */
  readonly env: Record<string, string>;
}

/**
 * Starts the simulator the way the end-to-end suite uses it: over TLS, with the CA it
 * generated written to a file that KEYFACTOR_CA_CERT points at.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<StartedSimulator> {
  const sim = await KeyfactorSimulator.start({ tls: true, ...options });
  const user = (options.seed ?? DEFAULT_SEED).users[0];
  const env: Record<string, string> = {
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_USERNAME: user.username,
    KEYFACTOR_PASSWORD: user.password,
    KEYFACTOR_DOMAIN: user.domain ?? '',
  };
  if (sim.caCertPem) {
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kf-ca-')), 'simulator-ca.pem');
    fs.writeFileSync(caFile, sim.caCertPem);
    env.KEYFACTOR_CA_CERT = caFile;
  }
  return { sim, env };
}

const caFiles = new WeakMap<KeyfactorSimulator, string>();

/** Starts the simulator over TLS (how the end-to-end suite runs). */
export function startTlsSimulator(options: SimulatorOptions = {}): Promise<KeyfactorSimulator> {
  return KeyfactorSimulator.start({ tls: true, ...options });
}

/** A file holding the simulator's CA certificate, for KEYFACTOR_CA_CERT. */
export function caFileOf(sim: KeyfactorSimulator): string {
  let file = caFiles.get(sim);
  if (!file) {
    if (!sim.caCertPem) throw new Error('the simulator was not started with tls');
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kf-ca-')), 'simulator-ca.pem');
    fs.writeFileSync(file, sim.caCertPem);
    caFiles.set(sim, file);
  }
  return file;
}

/** Runner connection settings for a TLS simulator with the default seed's admin (Basic auth). */
export function connectionEnv(sim: KeyfactorSimulator): Record<string, string> {
  const user = DEFAULT_SEED.users[0];
  return {
    KEYFACTOR_HOSTNAME: sim.url,
    KEYFACTOR_CA_CERT: caFileOf(sim),
    KEYFACTOR_USERNAME: user.username,
    KEYFACTOR_PASSWORD: user.password,
    KEYFACTOR_DOMAIN: user.domain ?? '',
  };
}
