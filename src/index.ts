export { Carrier, CarrierType, KeyfactorDefaults, KeyfactorDefaultsProps } from './core/carrier';
export { DayOfWeek, Schedule } from './core/schedule';
export { Secret } from './core/secret';
export { KeyfactorValidationError } from './core/validation';
export * from './constructs/certificate-deployment';
export { Ledger, LedgerRecord } from './ledger';
