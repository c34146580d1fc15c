/**
 * The apply-time runner: what the carriers' local-exec provisioners call.
 *
 *   node runner.cjs create|destroy|report   (spec in CDKTF_KEYFACTOR_SPEC)
 *   node runner.cjs orphan                  (the undo registry's destroy: see deleted-construct.ts)
 *
 * Bundled with esbuild into one file (axios included), so applying needs only node.
 * Exit code 0 on success; 1 with a one-paragraph message on stderr otherwise, which makes
 * Terraform mark the resource failed (and retry it on the next apply).
 */
import { checkEvaluated } from './checks';
import { deletedConstructDecision } from './deleted-construct';
import { evaluatedFrom, isOperationName, keptUntilUndone, OperationSpec, runOperation, sharesUndoTarget } from './operations';
import { CARRIER_ENV, REPAIR_ENV, repairName, SPEC_ENV } from '../contract/environment';
import { formatProblems } from '../contract/rules';
import { SPEC_VERSION, specHash, specLabel } from '../contract/spec';
import { AmbiguousRequestError } from '../runtime/api/client';
import { RunContext } from '../runtime/context';
import { MayHaveActedError, RunnerError } from '../runtime/errors';
import {
  beginRecord, DirectoryStore, identityKey, InstanceIdentity, isOpen, LedgerEntry, LedgerHandle, ledgerName, noticeOncePerApply, openLedger,
  OpenLedger, readWithLocal, sameOrigin, warnUnreadable,
} from '../runtime/ledger';
import { printable } from '../runtime/printable';
import { readSettings, RunnerSettings } from '../runtime/settings';

export async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let phase = argv[0];
  let ctx: RunContext | undefined;
  let record: LedgerHandle | undefined;
  let label: string | undefined;
  let stopWatching: (() => void) | undefined;
  try {
    if (phase !== 'create' && phase !== 'destroy' && phase !== 'report' && phase !== 'orphan') {
      throw new RunnerError(`usage: runner.cjs create|destroy|report|orphan (got ${JSON.stringify(phase)})`);
    }
    const evaluated = checkEvaluated(parseSpec(env[SPEC_ENV]));
    const spec = evaluated.spec;
    label = specLabel(spec);
    if (evaluated.problems.length) {
      const problems = `${formatProblems(spec.path, spec.operation, evaluated.problems)}. ` +
        'Terraform evaluated these values at apply, so they are checked now; nothing was sent to Keyfactor Command.';
      if (phase === 'create') throw new RunnerError(problems);
      if (phase !== 'report') {
        // A spec refused at create never reached Command: there is nothing to undo.
        process.stdout.write(`cdktf-keyfactor: ${label}: ${phase}: nothing to undo, its create was refused: ${problems}\n`);
        return 0;
      }
    }
    let takenOver: OperationSpec | undefined;
    let candidates: OperationSpec[] = [];
    let configured = false;
    if (phase === 'orphan') {
      const decision = deletedConstructDecision(spec, env[CARRIER_ENV], process.cwd());
      // Still configured: the carrier's own destroy provisioner undoes, unless its create was interrupted (below).
      configured = !decision.undo && decision.reason === 'configured';
      if (!decision.undo && decision.reason === 'taken-over') takenOver = decision.by;
      if (!decision.undo && decision.reason === 'uncertain') candidates = decision.candidates;
      // Deleted from the code: the same undo, record and wait as a destroy of the carrier.
      phase = 'destroy';
    }
    const settings = readSettings(env);
    const identity: InstanceIdentity = {
      origin: settings.origin, stack: spec.stack, constructPath: spec.path, instanceKey: spec.key, specHash: specHash(spec),
    };
    if (phase === 'report') return await report(label, identity, settings);
    ctx = new RunContext(settings, label);
    if (configured) {
      const interrupted = await interruptedCreate(ctx.ledger, identity);
      if (!interrupted) return 0;
      ctx.log(`its create (ledger record ${interrupted.recordId}) was stopped after its request went out, so Terraform holds the instance ` +
        'tainted and skips its destroy provisioner: the undo runs here instead, so that what the request may have put in place does not stay behind');
    }
    const notice = settings.ledger.notice;
    if (notice) noticeOncePerApply(notice, process.cwd(), (line) => process.stderr.write(`cdktf-keyfactor: WARNING: ${line}\n`));
    // Read before this run's own record exists: only earlier runs are found.
    const { earlier, superseded, neverSent, done } = await unsettledRecords(ctx.ledger, identity, phase);
    const secrets = ctx.secrets;
    record = await beginRecord(ctx.ledger.store, { operation: spec.operation, phase, ...identity }, (text) => secrets.redact(text));
    ctx.record = record;
    await ctx.settleEarlier('a later run of this instance finished after it, so it is not this run\'s to look for', superseded);
    await ctx.settleEarlier('it had sent no job-creating request', neverSent);
    ctx.earlier = earlier;
    if (done && keptUntilUndone(spec)) {
      const message = `its create already succeeded (ledger record ${done.recordId}${done.jobIds.length ? `, job ${done.jobIds.join(', ')}` : ''}) and was never undone: ` +
        'Terraform runs it again because it was stopped before it could note the success (a cancelled apply); not sending it again';
      ctx.log(message);
      ctx.announce(done.jobIds);
      const adopting = record;
      // As after a call: a failed record here would let the next run send the request.
      await ctx.keep(adopting, () => adopting.finish('succeeded', { request: done.request, jobIds: done.jobIds, response: { ...done.response, adoptedFrom: done.recordId }, message }),
        `Adopted job GUIDs: ${done.jobIds.join(', ') || 'none'}`);
      return 0;
    }
    if (earlier.length) {
      ctx.log(`an earlier run of this ${phase} (ledger record ${earlier.map((h) => h.current.recordId).join(', ')}) stopped before it knew ` +
        'whether Keyfactor Command had acted: checking Command before sending anything');
    }
    if (phase === 'destroy' && isRepair(env, spec)) {
      const message = 'repair of drift (cdktf-keyfactor drift --fix): what this instance put in place is gone, so there is nothing to undo';
      ctx.log(message);
      await ctx.settleEarlier('drift --fix replaces this instance because its target is gone');
      await record.finish('skipped', { message });
      return 0;
    }
    // A candidate whose target is a reference: decided with the values Terraform gave it at its create (its ledger records).
    if (candidates.length) takenOver = await evaluatedOwner(ctx, spec, candidates);
    if (takenOver) {
      const message = `deleted from the code, but ${takenOver.path} now owns the same target (renamed or moved): left in place, not undone`;
      ctx.log(message);
      await ctx.settleEarlier('the construct was deleted and its target taken over by another');
      await record.finish('skipped', { message });
      return 0;
    }
    stopWatching = stopWithParentOrSignal(record, ctx.ledger.unsent);
    const running = runOperation(phase as 'create' | 'destroy', ctx, spec);
    if (!running) {
      await ctx.settleEarlier('there was nothing to undo');
      await record.finish('skipped', { message: 'nothing to undo' });
      return 0;
    }
    const result = await running;
    // Operations that create jobs settle earlier runs themselves, before sending; the rest are safe to repeat.
    await ctx.settleEarlier(`this ${spec.operation} ${phase} is safe to repeat and ran again`);
    const handle = record;
    // The call succeeded: failing the step would make Terraform send it again on the next apply.
    await ctx.keep(handle, () => handle.finish(result.outcome ?? 'succeeded', {
      request: result.request,
      jobIds: result.jobIds ?? [],
      response: result.response,
      message: result.message,
    }), `The operation succeeded. Job GUIDs: ${(result.jobIds ?? []).join(', ') || 'none'}. Ledger record ${record.current.recordId} still says in-flight; ` +
      'the next run of this instance looks its job up in JobHistory before sending anything');
    return 0;
  } catch (e) {
    const raw = e instanceof RunnerError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
    const message = ctx ? ctx.secrets.redact(raw) : raw;
    const unsettled = e instanceof MayHaveActedError || e instanceof AmbiguousRequestError;
    if (record && ctx) {
      const failed = record;
      // An unsettled record must reach a ledger: the next run reads it before sending again.
      await ctx.keep(failed, () => failed.finish('failed', { message, ...(unsettled ? { unsettled } : {}) }), 'could not write the ledger');
    }
    process.stderr.write(printable(`cdktf-keyfactor: ${label ? label + ': ' : ''}${phase ?? ''} failed: ${message}`) + '\n');
    return 1;
  } finally {
    stopWatching?.();
    // An open connection (PostgreSQL, keep-alive sockets) would keep the runner from exiting.
    await ctx?.ledger.store.close().catch(() => undefined);
  }
}

/**
 * Records of earlier runs of this instance and phase that may have reached Command without
 * recording what it did, found by identity key; a damaged one of them stops the run (it could be
 * one), naming it. Those older than a later finished run of the instance (any phase) are
 * superseded; those that never marked a job-creating request as sent sent nothing. `done`: the
 * instance's newest record, when it is a succeeded create (see OperationModule.keptUntilUndone): no
 * destroy step, finished or not, and no other create ran since.
 */
async function unsettledRecords(
  ledger: OpenLedger, identity: InstanceIdentity, phase: string,
): Promise<Record<'earlier' | 'superseded' | 'neverSent', LedgerHandle[]> & { done?: LedgerEntry }> {
  const none = { earlier: [], superseded: [], neverSent: [] };
  // Not a directory (yet): nothing to find; writing the record then says what is wrong.
  if (ledger.store instanceof DirectoryStore && !ledger.store.isDirectory()) return none;
  const records = (await readWithLocal(ledger, { identityKeys: new Set([identityKey(identity)]) }))
    .filter((r) => r.constructPath === identity.constructPath && r.specHash === identity.specHash);
  const lastFinished = records.filter((r) => !isOpen(r)).map((r) => r.startedAt).sort().pop() ?? '';
  // The instance's newest record of all, open ones and other phases included (records come oldest first).
  const newest = records[records.length - 1];
  const done = phase === 'create' && newest?.phase === 'create' && newest.outcome === 'succeeded' ? newest : undefined;
  const handles = records.filter((r) => r.phase === phase && isOpen(r)).map((r) => new LedgerHandle(ledger.store, r));
  const superseded = handles.filter((h) => h.current.startedAt < lastFinished);
  const live = handles.filter((h) => !superseded.includes(h));
  const sent = (r: LedgerEntry) => r.sendingAt !== undefined || r.jobIds.length > 0 || r.response !== undefined;
  return { earlier: live.filter((h) => sent(h.current)), superseded, neverSent: live.filter((h) => !sent(h.current)), done };
}

/**
 * Which of `candidates` (configured constructs whose target is a Terraform reference) owns the
 * target of the deleted `spec`, judged by the values Terraform gave each at its create, as the
 * newest succeeded create record of each of its instances holds them. undefined: none does, the
 * undo runs. A candidate without such a record (not created yet, or its ledger is elsewhere) is
 * not guessed at either way: the run fails naming it, and the next apply decides again.
 */
async function evaluatedOwner(ctx: RunContext, spec: OperationSpec, candidates: OperationSpec[]): Promise<OperationSpec | undefined> {
  const here = ctx.settings.origin;
  const paths = new Set(candidates.map((c) => c.path));
  const newest = new Map<string, LedgerEntry>();
  // Every record (a rare path: a deleted construct with a candidate owner): the candidates' identity keys hold specs unknown here.
  for (const r of await ctx.ledger.store.read({ onUnreadable: warnUnreadable })) {
    if (paths.has(r.constructPath) && r.phase === 'create' && r.outcome === 'succeeded' && sameOrigin(r, here)) newest.set(`${r.constructPath}\n${r.instanceKey ?? ''}`, r);
  }
  const unknown: string[] = [];
  for (const candidate of candidates) {
    // Instance keys are literal (a store id that is a reference needs a `key`): the candidate's own instance.
    const records = [...newest.values()].filter((r) => r.constructPath === candidate.path && (r.instanceKey ?? '') === (candidate.key ?? ''));
    const evaluated = records.map((r) => evaluatedFrom(candidate, r));
    if (records.length === 0 || evaluated.some((e) => e === undefined)) {
      unknown.push(candidate.path);
      continue;
    }
    if (evaluated.some((e) => sharesUndoTarget(spec, e!))) return candidate;
  }
  if (unknown.length) {
    throw new RunnerError(`deleted from the code, but ${unknown.join(', ')} may own the same target: its target is a Terraform reference, and ` +
      `no ledger record in ${ledgerName(ctx.ledger)} holds the value Terraform gave it (not created yet?). Not undone, and not skipped ` +
      'silently: apply again once it has been created, and the undo runs or is left to it.');
  }
  return undefined;
}

/**
 * The instance's newest record when it is a create that may have acted without finishing: stopped
 * in flight, or ended not knowing (unsettled), after marking its request as sent. Terraform taints
 * such an instance (its create provisioner failed), and never runs a tainted instance's destroy
 * provisioner: only the undo registry is left to undo it.
 */
async function interruptedCreate(ledger: OpenLedger, identity: InstanceIdentity): Promise<LedgerEntry | undefined> {
  if (ledger.store instanceof DirectoryStore && !ledger.store.isDirectory()) return undefined;
  const records = (await readWithLocal(ledger, { identityKeys: new Set([identityKey(identity)]), onUnreadable: warnUnreadable }))
    .filter((r) => r.constructPath === identity.constructPath && r.specHash === identity.specHash && (r.instanceKey ?? '') === (identity.instanceKey ?? ''));
  const newest = records[records.length - 1];
  if (newest?.phase !== 'create') return undefined;
  const mayHaveActed = newest.sendingAt !== undefined || newest.jobIds.length > 0;
  return mayHaveActed && (isOpen(newest) || (newest.outcome === 'failed' && newest.unsettled === true)) ? newest : undefined;
}

/**
 * `report`: prints what the create step recorded. Terraform suppresses the create step's output
 * when it carries a sensitive variable; this step carries none, so the GUIDs stay visible. It
 * never fails: a failed report would taint a create that succeeded, and the next apply repeat it.
 */
async function report(label: string, identity: InstanceIdentity, settings: RunnerSettings): Promise<number> {
  let facts: string;
  let ledger: OpenLedger | undefined;
  try {
    ledger = openLedger(settings.ledger, settings.env);
    const record = (await readWithLocal(ledger, { identityKeys: new Set([identityKey(identity)]), onUnreadable: warnUnreadable }))
      .filter((r) => r.phase === 'create' && r.constructPath === identity.constructPath && r.specHash === identity.specHash)
      .pop();
    facts = record ? `${record.outcome}${record.jobIds.length ? `, job ${record.jobIds.join(', ')}` : ''}${record.message ? ` (${record.message})` : ''}` : 'no ledger record found';
  } catch (e) {
    facts = `WARNING: could not read the ledger: ${(e as Error).message}`;
  } finally {
    await ledger?.store.close().catch(() => undefined);
  }
  process.stdout.write(printable(`cdktf-keyfactor: ${label}: ${facts}`) + '\n');
  return 0;
}

/** How long a stopped runner waits for its last note to reach a shared store. */
const STOP_NOTE_MS = 2000;

/**
 * Terraform forwards Ctrl+C (SIGINT) and CI cancellations (SIGTERM) to provisioners, and a killed
 * terraform leaves the runner orphaned. Either way the runner stops now rather than finish behind
 * Terraform's back (Terraform would run it again); the record stays `in-flight` with the GUIDs
 * already known, and the next run checks Command before sending again.
 */
function stopWithParentOrSignal(record: LedgerHandle, unsent: DirectoryStore | undefined): () => void {
  const stop = (why: string, code: number) => {
    let noted = false;
    const exit = () => {
      if (!noted) {
        try {
          // A shared store that did not take the note in time: the record (GUIDs included) waits here.
          unsent?.putSync(record.written);
        } catch {
          // The stderr line below still says what is known.
        }
      }
      const ids = record.current.jobIds;
      process.stderr.write(`cdktf-keyfactor: stopped (${why}); ledger record ${record.current.recordId} marks the operation as in flight` +
        `${ids.length ? `; job GUIDs already returned: ${ids.join(', ')}` : ''}\n`);
      process.exit(code);
    };
    // A shared store gets a moment for the note; the record says in-flight either way (the stderr line says what is known).
    setTimeout(exit, STOP_NOTE_MS).unref();
    record.update({ message: `stopped (${why}) while in flight: the request may or may not have reached Keyfactor Command; the next run checks before sending again` })
      .then(() => {
        noted = true;
        exit();
      }, exit);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = () => stop(`interrupted by ${signal}`, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) stop('its parent process, terraform, has gone', 143);
  }, 250);
  watch.unref();
  // Removed when the run ends, so a runner called in-process (tests) leaves nothing behind.
  return () => {
    clearInterval(watch);
    handlers.forEach(([signal, handler]) => process.off(signal, handler));
  };
}

/** Whether `drift --fix` named this instance as one whose target is gone. */
function isRepair(env: NodeJS.ProcessEnv, spec: OperationSpec): boolean {
  const raw = env[REPAIR_ENV];
  if (!raw) return false;
  try {
    const names = JSON.parse(raw) as unknown;
    return Array.isArray(names) && names.includes(repairName(spec.path, spec.key));
  } catch {
    throw new RunnerError(`${REPAIR_ENV} is not a JSON list: it is set by \`cdktf-keyfactor drift --fix\` only.`);
  }
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
    process.stderr.write(printable(`cdktf-keyfactor: ${String(e)}`) + '\n');
    process.exitCode = 1;
  });
}
