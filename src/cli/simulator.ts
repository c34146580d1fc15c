import { KeyfactorSimulator, loadSeedFile } from '../simulator';

/** `cdktf-keyfactor simulator`: start, print how to point a stack at it, stop on SIGINT/SIGTERM. */
export async function runSimulator(options: { port: number; seedFile?: string }): Promise<void> {
  const seed = options.seedFile ? loadSeedFile(options.seedFile) : undefined;
  const sim = await KeyfactorSimulator.start({ port: options.port, seed });
  const user = seed?.users?.[0];
  process.stdout.write(
    [
      `Keyfactor Command simulator listening on ${sim.url}/KeyfactorAPI`,
      'Point the runner at it with:',
      `  export KEYFACTOR_HOSTNAME=${sim.url}`,
      user
        ? `  export KEYFACTOR_USERNAME=${user.username} KEYFACTOR_PASSWORD=<the seed password>${user.domain ? ` KEYFACTOR_DOMAIN=${user.domain}` : ''}`
        : '  export KEYFACTOR_USERNAME=admin KEYFACTOR_PASSWORD=simulator-password KEYFACTOR_DOMAIN=KEYFACTOR',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      sim.stop().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
