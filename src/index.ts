// Shared by every construct.
export * from './synth/carrier';
export * from './synth/defaults';
export * from './synth/schedule';
export { Secret } from './synth/secret';
export * from './synth/wait-policy';
// The ledger the runner writes: where it is kept, and its reader.
export type { LedgerOrigin, LedgerRecord } from './contract/ledger-record';
export * from './ledger';
// One construct per operation.
export * from './operations/certificate-deployment/construct';
export * from './operations/certificate-store-password/construct';
export * from './operations/pam-local-entry/construct';
export * from './operations/pfx-replacement/construct';
export * from './operations/certificate-store-reenrollment/construct';
