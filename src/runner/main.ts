/**
 * The apply-time runner: what the carriers' local-exec provisioners call.
 *
 *   node runner.cjs create|destroy     (spec in CDKTF_KEYFACTOR_SPEC)
 *
 * Bundled with esbuild into one file (axios included), so applying needs only node.
 * Exit code 0 on success; 1 with a one-paragraph message on stderr otherwise, which makes
 * Terraform mark the resource failed (and retry it on the next apply).
 */
import { isOperationName, OperationSpec, runOperation } from './operations';
import { SPEC_ENV } from '../contract/environment';
import { SPEC_VERSION, specHash, specLabel } from '../contract/spec';
import { RunContext } from '../runtime/context';
import { RunnerError } from '../runtime/errors';
import { LedgerHandle, LedgerWriter, readLedgerDir } from '../runtime/ledger';
import { readSettings } from '../runtime/settings';

export async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const phase = argv[0];
  let ctx: RunContext | undefined;
  let record: LedgerHandle | undefined;
  let label: string | undefined;
  let stopWatching: (() => void) | undefined;
  try {
    if (phase !== 'create' && phase !== 'destroy' && phase !== 'report') {
      throw new RunnerError(`usage: runner.cjs create|destroy|report (got ${JSON.stringify(phase)})`);
    }
    const spec = parseSpec(env[SPEC_ENV]);
    label = specLabel(spec);
    const settings = readSettings(env);
    if (phase === 'report') return report(spec, settings.ledgerDirectory);
    ctx = new RunContext(settings, label);
    record = new LedgerWriter(settings.ledgerDirectory).begin({
      operation: spec.operation,
      phase,
      stack: spec.stack,
      constructPath: spec.path,
      instanceKey: spec.key,
      specHash: specHash(spec),
    });
    ctx.record = record;
    stopWatching = onInterrupt(record);
    const running = runOperation(phase, ctx, spec);
    if (!running) {
      record.finish('skipped', { message: 'nothing to undo' });
      return 0;
    }
    const result = await running;
    record.finish(result.outcome ?? 'succeeded', {
      request: result.request,
      jobIds: result.jobIds ?? [],
      response: result.response,
      message: result.message,
    });
    return 0;
  } catch (e) {
    const raw = e instanceof RunnerError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
    const message = ctx ? ctx.secrets.redact(raw) : raw;
    try {
      record?.finish('failed', { message });
    } catch (ledgerError) {
      process.stderr.write(`cdktf-keyfactor: could not write the ledger: ${(ledgerError as Error).message}\n`);
    }
    process.stderr.write(`cdktf-keyfactor: ${label ? label + ': ' : ''}${phase ?? ''} failed: ${message}\n`);
    return 1;
  } finally {
    stopWatching?.();
  }
}

/**
 * `report`: prints what the create step recorded. Terraform suppresses the create step's output
 * when it carries a sensitive variable; this step carries none, so the GUIDs stay visible.
 */
function report(spec: OperationSpec, directory: string): number {
  const hash = specHash(spec);
  const record = readLedgerDir(directory)
    .filter((r) => r.phase === 'create' && r.constructPath === spec.path && r.instanceKey === spec.key && r.specHash === hash)
    .pop();
  const label = specLabel(spec);
  const facts = record ? `${record.outcome}${record.jobIds.length ? `, job ${record.jobIds.join(', ')}` : ''}${record.message ? ` (${record.message})` : ''}` : 'no ledger record found';
  process.stdout.write(`cdktf-keyfactor: ${label}: ${facts}\n`);
  return 0;
}

/**
 * Terraform forwards Ctrl+C (SIGINT) and CI cancellations (SIGTERM) to provisioners. The record
 * stays `in-flight` and says so, since the request may or may not have reached Command.
 */
function onInterrupt(record: LedgerHandle): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = () => {
      try {
        record.update({ message: `interrupted by ${signal} while in flight: the request may or may not have reached Keyfactor Command` });
      } finally {
        process.stderr.write(`cdktf-keyfactor: interrupted by ${signal}; ledger record ${record.current.recordId} marks the operation as in flight\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  // Removed when the run ends, so a runner called in-process (tests) leaves no handler behind.
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler));
}

function parseSpec(raw: string | undefined): OperationSpec {
  if (!raw) throw new RunnerError(`${SPEC_ENV} is not set: the runner is meant to be called by a cdktf-keyfactor carrier's provisioner.`);
  let spec: { v?: unknown; operation?: unknown };
  try {
    spec = JSON.parse(raw);
  } catch {
    throw new RunnerError(`${SPEC_ENV} is not valid JSON.`);
  }
  if (!spec || typeof spec !== 'object' || spec.v !== SPEC_VERSION) {
    throw new RunnerError(`spec version ${JSON.stringify(spec?.v)} is not supported by this runner (expects ${SPEC_VERSION}).`);
  }
  if (!isOperationName(spec.operation)) {
    throw new RunnerError(`unknown operation ${JSON.stringify(spec.operation)} in the spec; is the runner older than the library that synthesized it?`);
  }
  return spec as OperationSpec;
}

if (require.main === module) {
  run(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  }, (e) => {
    process.stderr.write(`cdktf-keyfactor: ${String(e)}\n`);
    process.exitCode = 1;
  });
}
