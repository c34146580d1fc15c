#!/usr/bin/env node
/**
 * `cdktf-keyfactor`: read the ledger (`outputs`, `jobs`), say where it is and move one into a
 * shared store (`ledger`), check an apply for undos it would drop (`check`) and run the Keyfactor
 * Command simulator (`simulator`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { runCheck } from './check';
import { runDrift } from './drift';
import { runJobs } from './jobs';
import { copyLedger, formatCopy, ledgerWhere } from './ledger-command';
import { formatOutputs, selectRecords } from './outputs';
import { formatPrune, formatPruneJson, pruneLedger } from './prune';
import { runSimulator } from './simulator';
import { runDestroy, runForget } from './teardown';
import { printable } from '../runtime/printable';

/** Standard output, with the control characters of Command's and the ledger's text made visible. */
const out = (text: string) => process.stdout.write(printable(text));

export function buildProgram(): Command {
  const program = new Command('cdktf-keyfactor')
    .description('Keyfactor Command operations for CDK for Terraform: ledger, jobs, one construct\'s teardown, drift, a local simulator')
    .version(packageVersion(), '-V, --version', 'print the version of cdktf-keyfactor')
    .showHelpAfterError();

  const LEDGER = 'ledger directory or URL (s3://, azblob://, postgres://); default: each synthesized stack\'s, as its runner chooses it (`ledger where`)';
  program
    .command('outputs')
    .description('show what the runner recorded (job GUIDs, outcomes) from the ledger')
    .option('--json', 'print JSON ({"records": [...]}) instead of a table')
    .option('--ledger <location>', LEDGER)
    .option('--outdir <dir>', 'the synthesized app, whose stacks name their ledgers', 'cdktf.out')
    .option('--stack <name>', 'only records of this stack')
    .option('--path <constructPath>', 'only records of this construct path or below it')
    .option('--all-origins', 'records of every Command host and workspace (default: with KEYFACTOR_HOSTNAME set, only its own and TF_WORKSPACE\'s)')
    .option('--latest', 'only the newest record of each operation instance')
    .action(async (opts) => {
      out(formatOutputs(await selectRecords(opts), !!opts.json) + '\n');
    });

  program
    .command('prune')
    .description('remove ledger records older than --keep-days (never one in flight or unsettled, never a live instance\'s newest create record)')
    .requiredOption('--keep-days <days>', 'keep records that finished within this many days', parsePositive)
    .option('--ledger <location>', LEDGER)
    .option('--outdir <dir>', 'the synthesized app, whose stacks name their ledgers', 'cdktf.out')
    .option('--stack <name>', 'only this stack\'s ledger')
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('--json', 'print JSON ({"removed": [record ids], "kept": N, ...}) instead of a sentence')
    .action(async (opts) => {
      const options = { ledger: opts.ledger, outdir: opts.outdir, stack: opts.stack, keepDays: opts.keepDays, dryRun: !!opts.dryRun };
      const result = await pruneLedger(options);
      out((opts.json ? formatPruneJson(result, options) : formatPrune(result, options)) + '\n');
    });

  program
    .command('jobs')
    .description("show the current status of the ledger's job GUIDs from Command's job history")
    .option('--wait', 'poll until every job is final (exit 1 if one failed or the timeout passed)')
    .option('--timeout <seconds>', 'with --wait: give up after this long', parsePositive, 600)
    .option('--interval <seconds>', 'with --wait: seconds between polls', parsePositive, 5)
    .option('--json', 'print JSON ({"jobs": [...]}) instead of a table')
    .option('--ledger <location>', LEDGER)
    .option('--outdir <dir>', 'the synthesized app, whose stacks name their ledgers', 'cdktf.out')
    .option('--stack <name>', 'only jobs of this stack')
    .option('--path <constructPath>', 'only jobs of this construct path or below it')
    .option('--all-origins', 'jobs recorded against every Command host and workspace (default: KEYFACTOR_HOSTNAME\'s, TF_WORKSPACE\'s)')
    .action(async (opts) => {
      process.exitCode = await runJobs(opts, process.env, (t) => out(t + '\n'));
    });

  const ledger = program
    .command('ledger')
    .description('where each stack keeps its ledger, and moving a ledger directory into a shared store');
  ledger
    .command('where')
    .description('print the ledger each synthesized stack\'s runner uses, and what chose it')
    .option('--outdir <dir>', 'the synthesized app', 'cdktf.out')
    .option('--stack <name>', 'only this stack')
    .option('--json', 'print JSON ({"ledgers": [...]})')
    .action((opts) => {
      out(ledgerWhere(opts, process.env) + '\n');
    });
  ledger
    .command('copy')
    .description('copy the records of a ledger directory into each stack\'s ledger (or --to); safe to run again')
    .requiredOption('--from <dir>', 'the ledger directory to copy, e.g. .keyfactor-ledger')
    .option('--to <location>', 'the ledger to copy into (directory or URL); default: each record\'s stack\'s ledger')
    .option('--outdir <dir>', 'the synthesized app, whose stacks name their ledgers', 'cdktf.out')
    .option('--stack <name>', 'only records of this stack')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const result = await copyLedger(opts, process.env);
      out((opts.json ? JSON.stringify(result, null, 2) : formatCopy(result, opts.from)) + '\n');
      if (result.skipped.length) process.exitCode = 1;
    });

  program
    .command('check')
    .description('after `cdktf synth`, before the apply: fail if the apply would drop a construct deleted from the code without running its undo')
    .option('--outdir <dir>', 'the synthesized app', 'cdktf.out')
    .option('--stack <name>', 'check this stack (repeatable; default: every synthesized stack)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'print JSON ({"lost": [...], "pending": [...]}) instead of sentences')
    .action((opts) => {
      process.exitCode = runCheck(opts, process.env, (t) => out(t + '\n'));
    });

  program
    .command('drift')
    .description('ask Keyfactor Command whether what each stack deployed is still in place (run after cdktf synth, with the apply\'s connection settings)')
    .option('--outdir <dir>', 'the synthesized app', 'cdktf.out')
    .option('--stack <name>', 'check this stack (repeatable; default: every synthesized stack)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'print a JSON report')
    .option('--strict', 'count "not yet verifiable" (a store not inventoried since its last job) as drift')
    .option('--fix', 're-run the drifted instances (terraform apply -replace=... per stack, no undo sent), wait for Command to show them, then check again; refused when the stack\'s plan holds other changes')
    .option('--include-pending', 'with --fix: also apply every other change the stack\'s plan holds (what cdktf deploy would apply)')
    .option('--fix-timeout <seconds>', 'with --fix: how long to wait for the repaired instances to show in Command\'s inventories', parsePositive, 600)
    .option('--poll-interval <seconds>', 'with --fix: how often to ask Command while waiting', parsePositive, 5)
    .action(async (opts) => {
      process.exitCode = await runDrift({
        outdir: opts.outdir,
        stack: opts.stack,
        json: !!opts.json,
        strict: !!opts.strict,
        fix: !!opts.fix,
        includePending: !!opts.includePending,
        fixTimeoutSeconds: opts.fixTimeout,
        pollIntervalSeconds: opts.pollInterval,
      },
      process.env, (line) => out(`${line}\n`));
    });
  program
    .command('destroy')
    .description('destroy one construct (its undo runs, as on cdktf destroy): terraform destroy -target= its carriers, which also destroys what depends on them')
    .argument('<constructPath>', 'the construct path, <stack>/<id>..., as `outputs` prints it')
    .option('--key <instanceKey>', 'only this instance (a deployment\'s store: its key, else its GUID in lower case)')
    .option('--outdir <dir>', 'the synthesized app', 'cdktf.out')
    .option('--auto-approve', 'do not ask; refuse if the plan reaches beyond the construct (what depends on it)')
    .option('--with-dependents', 'with --auto-approve: also destroy what depends on the construct')
    .option('--plan', 'only show the plan (terraform plan -destroy)')
    .action(async (constructPath: string, opts) => {
      const options = {
        path: constructPath,
        key: opts.key,
        outdir: opts.outdir,
        autoApprove: !!opts.autoApprove,
        planOnly: !!opts.plan,
        withDependents: !!opts.withDependents,
      };
      process.exitCode = await runDestroy(options,
        process.env, (t) => out(t + '\n'));
    });

  program
    .command('forget')
    .description('stop tracking a construct (or one instance) whose undo Command can no longer run, e.g. a store gone for good: ' +
      'terraform state rm, nothing sent; prints what stays in Command')
    .argument('<constructPath>', 'the construct path, <stack>/<id>..., as the failure message and `outputs` print it')
    .option('--key <instanceKey>', 'only this instance (a deployment\'s store: its key, else its GUID in lower case)')
    .option('--outdir <dir>', 'the synthesized app', 'cdktf.out')
    .action(async (constructPath: string, opts) => {
      process.exitCode = await runForget({ path: constructPath, key: opts.key, outdir: opts.outdir }, process.env, (t) => out(t + '\n'));
    });

  program
    .command('simulator')
    .description('run the Keyfactor Command simulator on loopback until interrupted')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .option('--seed <file>', 'JSON seed file with users, tokens, orchestrators, stores, certificates, PAM providers (format: README, The simulator; --list --json prints one)')
    .option('--list', 'print the seeded stores, orchestrators, certificates and PAM providers, and exit')
    .option('--json', 'with --list: print the seed as JSON (the --seed file format: a starting point for your own)')
    .option('--tls', 'serve HTTPS with a CA generated at start')
    .option('--tls-hostname <names...>', 'with --tls: names the server certificate is issued for (default localhost 127.0.0.1)')
    .option('--ca-out <file>', 'with --tls: write the generated CA certificate (PEM) to this file')
    .option('--inventory-after-jobs <ms>', 'inventory a store this long after each of its management jobs (Locations change then)', parseMs, 0)
    .option('--inventory-every <ms>', 'also inventory every store this often (default never)', parseMs)
    .action(async (opts) => {
      if (opts.json && !opts.list) throw new InvalidArgumentError('--json goes with --list (the running simulator prints its banner as text)');
      await runSimulator({
        inventory: { afterJobsMs: opts.inventoryAfterJobs, everyMs: opts.inventoryEvery },
        port: opts.port,
        seedFile: opts.seed,
        list: opts.list ? (opts.json ? 'json' : 'text') : undefined,
        tls: !!opts.tls || !!opts.tlsHostname,
        tlsHostname: opts.tlsHostname,
        caOut: opts.caOut,
      });
    });
  return program;
}

/** This package's version, from its package.json (two levels up from lib/cli and from src/cli). */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function parseMs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number of milliseconds');
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return n;
}

if (require.main === module) {
  buildProgram().parseAsync(process.argv).catch((e: Error) => {
    // RunnerError and ledger errors carry a clear message; no stack trace for the user.
    process.stderr.write(printable(`cdktf-keyfactor: ${e.message}`) + '\n');
    process.exitCode = 1;
  });
}
