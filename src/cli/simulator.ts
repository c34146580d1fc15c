import * as fs from 'fs';
import { DEFAULT_SEED, KeyfactorSimulator, loadSeedFile, SimulatorSeed } from '../simulator';

export interface SimulatorCommandOptions {
  readonly port: number;
  /** Print the seeded objects (or, `json`, the seed itself) and exit, without starting. */
  readonly list?: 'text' | 'json';
  readonly seedFile?: string;
  readonly tls?: boolean;
  readonly tlsHostname?: string[];
  readonly caOut?: string;
  readonly inventory?: { afterJobsMs?: number; everyMs?: number };
}

/**
 * `cdktf-keyfactor simulator`: start, print the seeded objects and how to point a stack at it;
 * stop on SIGINT/SIGTERM/SIGHUP, or when the process that started it ends.
 */
export async function runSimulator(options: SimulatorCommandOptions, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const parent = process.ppid;
  const seed = options.seedFile ? loadSeedFile(options.seedFile) : undefined;
  if (options.list) {
    write(`${options.list === 'json' ? JSON.stringify(seed ?? DEFAULT_SEED, null, 2) : seedSummary(seed ?? DEFAULT_SEED).join('\n')}\n`);
    return;
  }
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
  lines.push(...seedSummary(seed ?? DEFAULT_SEED));
  lines.push(
    'Rehearse drift (outside the API, no credentials): take a certificate out of a store behind Command\'s back,',
    `  curl -X DELETE ${sim.url}/_simulator/stores/<store id>/certificates/<alias>`,
    `  and Command's Locations show it until the store's next inventory: curl -X POST ${sim.url}/_simulator/stores/<store id>/inventory`,
    'Press Ctrl+C to stop.', '');
  write(lines.join('\n'));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      clearInterval(orphaned);
      sim.stop().then(resolve, resolve);
    };
    // `npx cdktf-keyfactor simulator &` runs it under npm and a shell: killing the PID the shell
    // printed (npm's) signals neither, and the simulator would keep its port. Started otherwise
    // (node, nohup, a service manager) it outlives its parent, as a background service should.
    const startedByNpm = process.env.npm_command !== undefined && parent !== 1;
    const orphaned = setInterval(() => {
      if (!startedByNpm || process.ppid === parent) return;
      write('The process that started the simulator ended: stopping.\n');
      stop();
    }, 500);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  });
}

/** The seeded objects a stack refers to, by id, as the banner and `--list` print them. */
export function seedSummary(seed: SimulatorSeed): string[] {
  const behaviour = (s: SimulatorSeed['stores'][number]) => [
    s.failJobs && 'every job fails',
    s.failReplace && 'PFX replacement fails',
    s.reenrollmentSupported === false && 'no reenrollment',
    s.dropsCertificates && 'jobs succeed but change nothing',
    s.failInventory && 'inventories fail',
  ].filter(Boolean).join(', ');
  const lines = ['Seeded objects (--seed FILE to change them; --list prints this and exits):', '  stores (certificateStoreId / keystoreId, agent):'];
  for (const s of seed.stores) {
    const more = behaviour(s);
    lines.push(`    ${s.Id}  ${s.DisplayName ?? s.ClientMachine}  ${s.ClientMachine}:${s.Storepath}  agent ${s.AgentId}${more ? `  [${more}]` : ''}`);
  }
  lines.push('  orchestrators (agentGuid):');
  for (const o of seed.orchestrators) lines.push(`    ${o.AgentId}  ${o.ClientMachine}`);
  lines.push('  certificates (certificateId):');
  for (const c of seed.certificates) {
    const where = (c.locations ?? []).map((l) => `${l.storeId} as "${l.alias}"`).join(', ');
    lines.push(`    ${c.Id}  ${c.IssuedCN}  ${where ? `in ${where}` : 'in no store'}`);
  }
  lines.push('  PAM providers (providerId):');
  for (const p of seed.pamProviders) lines.push(`    ${p.Id}  ${p.Name}  ${p.local ? 'local (PamLocalEntry works)' : 'not local (PamLocalEntry is refused)'}`);
  const users = seed.users.map((u) => `${u.domain ? `${u.domain}\\` : ''}${u.username}${u.readOnly ? ' (read-only)' : ''}`);
  lines.push(`  users: ${users.join(', ') || 'none'}; bearer tokens: ${seed.tokens.length}; OAuth clients: ${(seed.oauthClients ?? []).map((c) => c.clientId).join(', ') || 'none'}`);
  return lines;
}
