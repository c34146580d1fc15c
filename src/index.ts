export * from './core/carrier';
export * from './core/schedule';
export { Secret } from './core/secret';
export * from './constructs/certificate-deployment';
export * from './ledger';
export * from './core/wait';
