/**
 * The operations the runner can run: each operation's apply half, by the `operation` name its
 * spec carries. Typed by the union of the specs, so a module and the spec it is handed match.
 */
import type { LedgerRecord } from '../contract/ledger-record';
import { certificateDeployment } from '../operations/certificate-deployment/run';
import type { CertificateDeploymentSpec } from '../operations/certificate-deployment/spec';
import { certificateStorePassword } from '../operations/certificate-store-password/run';
import type { CertificateStorePasswordSpec } from '../operations/certificate-store-password/spec';
import { certificateStoreReenrollment } from '../operations/certificate-store-reenrollment/run';
import type { CertificateStoreReenrollmentSpec } from '../operations/certificate-store-reenrollment/spec';
import { jobWait } from '../operations/job-wait/run';
import type { JobWaitSpec } from '../operations/job-wait/spec';
import { pamLocalEntry } from '../operations/pam-local-entry/run';
import type { PamLocalEntrySpec } from '../operations/pam-local-entry/spec';
import { pfxReplacement } from '../operations/pfx-replacement/run';
import type { PfxReplacementSpec } from '../operations/pfx-replacement/spec';
import type { OperationModule, OperationResult, RunContext } from '../runtime/context';

export type OperationSpec =
  | CertificateDeploymentSpec
  | CertificateStorePasswordSpec
  | PfxReplacementSpec
  | PamLocalEntrySpec
  | CertificateStoreReenrollmentSpec
  | JobWaitSpec;

export type OperationName = OperationSpec['operation'];
type SpecOf<N extends OperationName> = Extract<OperationSpec, { operation: N }>;
type Registry = { readonly [N in OperationName]: OperationModule<SpecOf<N>> };

const OPERATIONS: Registry = {
  CertificateDeployment: certificateDeployment,
  CertificateStorePassword: certificateStorePassword,
  PfxReplacement: pfxReplacement,
  PamLocalEntry: pamLocalEntry,
  CertificateStoreReenrollment: certificateStoreReenrollment,
  JobWait: jobWait,
};

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(OPERATIONS, name);
}

/** Runs the phase of `spec`'s operation; undefined when the operation has nothing to do then (no undo). */
export function runOperation(phase: 'create' | 'destroy', ctx: RunContext, spec: OperationSpec): Promise<OperationResult> | undefined {
  return dispatch(OPERATIONS[spec.operation], phase, ctx, spec);
}

function dispatch<N extends OperationName>(
  op: Registry[N], phase: 'create' | 'destroy', ctx: RunContext, spec: SpecOf<N>,
): Promise<OperationResult> | undefined {
  const handler = phase === 'create' ? op.create : op.destroy;
  return handler?.call(op, ctx, spec);
}

/** Whether a succeeded create of the operation stays in place until its destroy step records (OperationModule.keptUntilUndone). */
export function keptUntilUndone(spec: OperationSpec): boolean {
  return (OPERATIONS[spec.operation] as OperationModule<OperationSpec>).keptUntilUndone === true;
}

/** `live` with the target values its create's ledger record holds (OperationModule.evaluatedFrom). */
export function evaluatedFrom(live: OperationSpec, record: LedgerRecord): OperationSpec | undefined {
  const op = OPERATIONS[live.operation] as OperationModule<OperationSpec>;
  return op.evaluatedFrom?.(live, record);
}

/** Whether the configured spec `live` owns the target the undo of the deleted `deleted` would act on. */
export function sharesUndoTarget(deleted: OperationSpec, live: OperationSpec): boolean {
  if (deleted.operation !== live.operation) return false;
  const op = OPERATIONS[deleted.operation] as OperationModule<OperationSpec>;
  return op.sharesUndoTarget?.(deleted, live) ?? false;
}
