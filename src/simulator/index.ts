export { KeyfactorSimulator } from './simulator';
export type { SimulatorOptions } from './simulator';
export type { RecordedRequest, SimulatedJob } from './types';
export { FAULT_KINDS } from './faults';
export type { ActiveFault, FaultInjector, FaultKind, FaultRule } from './faults';
export type { TlsOptions } from './tls';
export { loadSeedFile, parseSeed, simulatorSeedSchema } from './seed';
export type { SimulatorSeed, StoreBehaviour } from './seed';
export { DEFAULT_SEED } from './default-seed';
