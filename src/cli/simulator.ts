import * as fs from 'fs';
import { KeyfactorSimulator, loadSeedFile } from '../simulator';

export interface SimulatorCommandOptions {
  readonly port: number;
  readonly seedFile?: string;
  readonly tls?: boolean;
  readonly tlsHostname?: string[];
  readonly caOut?: string;
  readonly inventory?: { afterJobsMs?: number; everyMs?: number };
}

/** `cdktf-keyfactor simulator`: start, print how to point a stack at it, stop on SIGINT/SIGTERM. */
export async function runSimulator(options: SimulatorCommandOptions): Promise<void> {
  const seed = options.seedFile ? loadSeedFile(options.seedFile) : undefined;
  const tls = options.tlsHostname?.length ? { hostnames: options.tlsHostname } : options.tls;
  const sim = await KeyfactorSimulator.start({ port: options.port, seed, tls, inventory: options.inventory });
  const user = (seed ?? undefined)?.users?.[0];
  const lines = [
    `Keyfactor Command simulator listening on ${sim.url}/KeyfactorAPI`,
    'Point the runner at it with:',
    `  export KEYFACTOR_HOSTNAME=${sim.url}`,
    user
      ? `  export KEYFACTOR_USERNAME=${user.username} KEYFACTOR_PASSWORD=<the seed password>${user.domain ? ` KEYFACTOR_DOMAIN=${user.domain}` : ''}`
      : '  export KEYFACTOR_USERNAME=admin KEYFACTOR_PASSWORD=simulator-password KEYFACTOR_DOMAIN=KEYFACTOR',
    `  (or OAuth: KEYFACTOR_AUTH_TOKEN_URL=${sim.tokenUrl} with a seed client${seed ? '' : ', e.g. KEYFACTOR_AUTH_CLIENT_ID=terraform KEYFACTOR_AUTH_CLIENT_SECRET=simulator-client-secret'})`,
  ];
  if (sim.caCertPem) {
    if (options.caOut) {
      fs.writeFileSync(options.caOut, sim.caCertPem);
      lines.push(`  export KEYFACTOR_CA_CERT=${options.caOut}    # the simulator's CA (written there)`);
    } else {
      lines.push('  KEYFACTOR_CA_CERT must hold the CA below (or use --ca-out FILE):', sim.caCertPem.trim());
    }
  }
  lines.push(
    'Rehearse drift (outside the API, no credentials): take a certificate out of a store behind Command\'s back,',
    `  curl -X DELETE ${sim.url}/_simulator/stores/<store id>/certificates/<alias>`,
    `  and Command's Locations show it until the store's next inventory: curl -X POST ${sim.url}/_simulator/stores/<store id>/inventory`,
    'Press Ctrl+C to stop.', '');
  process.stdout.write(lines.join('\n'));
  await new Promise<void>((resolve) => {
    const stop = () => {
      sim.stop().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
