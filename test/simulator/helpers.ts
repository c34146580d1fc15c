import axios, { AxiosInstance } from 'axios';
import type { KeyfactorSimulator } from '../../src/simulator';

export const BASIC_ADMIN = `Basic ${Buffer.from('KEYFACTOR\\admin:simulator-password').toString('base64')}`;
export const BEARER = 'Bearer simulator-token';

/** Default-seed store id N (1..6). */
export const store = (n: number) => `11111111-1111-4111-8111-00000000000${n}`;
export const AGENT_1 = '22222222-2222-4222-8222-000000000001';
export const AGENT_2 = '22222222-2222-4222-8222-000000000002';

/** An axios client for the simulator's API base that never throws on HTTP status. */
export function api(sim: KeyfactorSimulator, headers: Record<string, string> = {}): AxiosInstance {
  return axios.create({
    baseURL: `${sim.url}/KeyfactorAPI`,
    validateStatus: () => true,
    headers: { 'x-keyfactor-requested-with': 'APIClient', 'Authorization': BEARER, ...headers },
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A filter matching any of the given job ids. */
export const jobIdFilter = (ids: string[]) => ids.map((id) => `JobId -eq "${id}"`).join(' OR ');
