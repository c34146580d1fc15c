export { KeyfactorSimulator } from './simulator';
export type { SimulatorOptions } from './simulator';
export type { RecordedRequest, SimulatedJob } from './types';
export { loadSeedFile, parseSeed, simulatorSeedSchema } from './seed';
export type { SimulatorSeed } from './seed';
export { DEFAULT_SEED } from './default-seed';
