#!/usr/bin/env node
/**
 * `cdktf-keyfactor`: read the ledger (`outputs`) and run the Keyfactor Command simulator
 * (`simulator`).
 */
import { Command, InvalidArgumentError } from 'commander';
import { formatOutputs, selectRecords } from './outputs';
import { runSimulator } from './simulator';

export function buildProgram(): Command {
  const program = new Command('cdktf-keyfactor')
    .description('Keyfactor Command operations for CDK for Terraform: ledger outputs and a local simulator')
    .showHelpAfterError();

  program
    .command('outputs')
    .description('show what the runner recorded (job GUIDs, outcomes) from the ledger')
    .option('--json', 'print JSON ({"records": [...]}) instead of a table')
    .option('--ledger <dir>', 'ledger directory (default: $KEYFACTOR_LEDGER_DIR or ./.keyfactor-ledger)')
    .option('--stack <name>', 'only records of this stack')
    .option('--path <constructPath>', 'only records of this construct path or below it')
    .action((opts) => {
      process.stdout.write(formatOutputs(selectRecords(opts), !!opts.json) + '\n');
    });

  program
    .command('simulator')
    .description('run the Keyfactor Command simulator on loopback until interrupted')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .option('--seed <file>', 'JSON seed file with users, tokens, orchestrators, stores, certificates, PAM providers')
    .action(async (opts) => {
      await runSimulator({ port: opts.port, seedFile: opts.seed });
    });
  return program;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return n;
}

if (require.main === module) {
  buildProgram().parseAsync(process.argv).catch((e: Error) => {
    process.stderr.write(`cdktf-keyfactor: ${e.message}\n`);
    process.exitCode = 1;
  });
}
