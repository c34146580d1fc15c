import { addCertificates, removeCertificates } from './add-remove';
import { getCertificate } from './certificates';
import type { Route } from './context';
import { jobHistory } from './job-history';
import { createPamEntry, deletePamEntry, listPamEntries, updatePamEntry } from './pam-entries';
import { replacePfx } from './pfx-replace';
import { reenrollStore } from './reenrollment';
import { scheduledJobs } from './scheduled-jobs';
import { getStore, listStores, setStorePassword } from './stores';

export type { Handler, Route, RouteContext } from './context';

/** Every endpoint the simulator serves (all v1). */
export const ROUTES: Route[] = [
  { method: 'GET', pattern: 'CertificateStores', handler: listStores },
  { method: 'GET', pattern: 'CertificateStores/{id:guid}', handler: getStore },
  { method: 'PUT', pattern: 'CertificateStores/Password', handler: setStorePassword },
  { method: 'POST', pattern: 'CertificateStores/Certificates/Add', handler: addCertificates },
  { method: 'POST', pattern: 'CertificateStores/Certificates/Remove', handler: removeCertificates },
  { method: 'POST', pattern: 'CertificateStores/Reenrollment', handler: reenrollStore },
  { method: 'GET', pattern: 'OrchestratorJobs/JobHistory', handler: jobHistory },
  { method: 'GET', pattern: 'OrchestratorJobs/ScheduledJobs', handler: scheduledJobs },
  { method: 'GET', pattern: 'Certificates/{id:int}', handler: getCertificate },
  { method: 'POST', pattern: 'Enrollment/PFX/Replace', handler: replacePfx },
  { method: 'GET', pattern: 'PamProviders/Local/{providerId}/Entries', handler: listPamEntries },
  { method: 'POST', pattern: 'PamProviders/Local/{providerId}/Entries', handler: createPamEntry },
  { method: 'PUT', pattern: 'PamProviders/Local/{providerId}/Entries', handler: updatePamEntry },
  { method: 'DELETE', pattern: 'PamProviders/Local/{providerId}/Entries', handler: deletePamEntry },
];

const CONSTRAINTS: Record<string, RegExp> = {
  guid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  int: /^\d+$/,
};

/** Path parameters if `segments` fit `pattern` (literals case-insensitive, like ASP.NET routing), else null. */
function matchPattern(pattern: string, segments: string[]): Record<string, string> | null {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const param = /^\{(\w+)(?::(\w+))?\}$/.exec(parts[i]);
    if (!param) {
      if (parts[i].toLowerCase() !== segments[i].toLowerCase()) return null;
      continue;
    }
    const constraint = param[2] ? CONSTRAINTS[param[2]] : undefined;
    if (constraint && !constraint.test(segments[i])) return null;
    params[param[1]] = segments[i];
  }
  return params;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method' }
  | { kind: 'none' };

/**
 * Finds the route for a path relative to the api base. Literal routes win
 * over parameter routes because they are matched on the exact segment count
 * and constraints (e.g. `CertificateStores/Password` is not a GUID).
 */
export function findRoute(method: string, relativePath: string): RouteMatch {
  const segments = relativePath.split('/').filter((s) => s !== '');
  let pathMatched = false;
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method === method.toUpperCase()) return { kind: 'found', route, params };
    pathMatched = true;
  }
  return pathMatched ? { kind: 'wrong-method' } : { kind: 'none' };
}
