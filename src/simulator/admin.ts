/**
 * What a rehearsal does to the simulated estate behind Command's back (an administrator deleting
 * a certificate on the server, an inventory run by hand), as library calls and as HTTP endpoints
 * under `/_simulator/`, outside the API and its authentication (the simulator binds to loopback).
 *
 *   DELETE /_simulator/stores/{storeId}/certificates/{alias}   take it out of the store (404 if absent)
 *   POST   /_simulator/stores/{storeId}/inventory              inventory the store now
 *   POST   /_simulator/inventory                               inventory every store now
 */
import type { Reply } from './http';
import { inventoryRow, inventoryStore, settleJobs } from './jobs';
import type { SimulatorState } from './state';

export const ADMIN_PREFIX = '/_simulator/';

export function removeFromStore(state: SimulatorState, storeId: string, alias: string): boolean {
  const store = state.findStore(storeId);
  if (!store) throw new Error(`No store with Id '${storeId}'`);
  const before = state.contents.length;
  state.contents = state.contents.filter((l) => !(l.storeId === store.Id && l.alias.toLowerCase() === alias.toLowerCase()));
  return state.contents.length < before;
}

export function inventoryNow(state: SimulatorState, storeId: string | undefined, now: number): void {
  const stores = storeId === undefined ? [...state.stores.values()] : [state.findStore(storeId)];
  if (stores.some((s) => !s)) throw new Error(`No store with Id '${storeId}'`);
  for (const store of stores) inventoryStore(state, store!.Id, now, 'requested');
}

/** An admin request (path below ADMIN_PREFIX), or null when the path is not one. */
export function adminRequest(state: SimulatorState, method: string, pathname: string, now: number): Reply | null {
  const parts = pathname.slice(ADMIN_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
  const json = (status: number, body: unknown): Reply => ({ status, body });
  settleJobs(state, now);
  try {
    if (method === 'DELETE' && parts.length === 4 && parts[0] === 'stores' && parts[2] === 'certificates') {
      return removeFromStore(state, parts[1], parts[3]) ? { status: 204 } : json(404, { Message: `store ${parts[1]} holds nothing under alias "${parts[3]}"` });
    }
    if (method === 'POST' && parts.length === 3 && parts[0] === 'stores' && parts[2] === 'inventory') {
      inventoryNow(state, parts[1], now);
      return json(200, inventoryRow(state, state.inventories[state.inventories.length - 1]));
    }
    if (method === 'POST' && parts.length === 1 && parts[0] === 'inventory') {
      inventoryNow(state, undefined, now);
      return json(200, { inventoried: state.stores.size });
    }
  } catch (e) {
    return json(404, { Message: (e as Error).message });
  }
  return null;
}
