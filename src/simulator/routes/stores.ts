import { z } from 'zod';
import { badRequest, noContent, notFound, ok, Reply } from '../http';
import { listPage, pageReply } from '../listing';
import type { FieldMap } from '../query';
import type { SeedStore } from '../seed';
import type { SimulatorState } from '../state';
import { apiSecret, guid, parseJsonBody } from '../validation';
import type { RouteContext } from './context';

const storeFields: FieldMap<SeedStore> = {
  Id: { type: 'guid', get: (s) => s.Id },
  ClientMachine: { type: 'string', get: (s) => s.ClientMachine },
  Storepath: { type: 'string', get: (s) => s.Storepath },
  AgentId: { type: 'guid', get: (s) => s.AgentId },
  CertStoreType: { type: 'int', get: (s) => s.CertStoreType },
  DisplayName: { type: 'string', get: (s) => s.DisplayName ?? null },
};

/** KeyfactorSecret as Command returns it: never the value itself. */
function maskedSecret(secret: unknown) {
  const provider = typeof secret === 'object' && secret !== null ? (secret as { Provider?: number | null }).Provider ?? null : null;
  return { Value: null, ProviderId: provider, IsManaged: provider !== null, HasValue: secret !== undefined };
}

/** CertificateStoreResponse (the fields the simulator models). */
function storeResponse(state: SimulatorState, store: SeedStore) {
  const reenrollment = store.reenrollmentSupported !== false;
  return {
    Id: store.Id,
    ContainerId: null,
    DisplayName: store.DisplayName ?? null,
    ClientMachine: store.ClientMachine,
    Storepath: store.Storepath,
    CertStoreInventoryJobId: null,
    CertStoreType: store.CertStoreType,
    Approved: true,
    CreateIfMissing: false,
    Properties: '{}',
    AgentId: store.AgentId,
    AgentAssigned: true,
    ContainerName: null,
    ReenrollmentStatus: {
      Data: reenrollment,
      AgentId: reenrollment ? store.AgentId : null,
      Message: null,
      JobProperties: null,
      CustomAliasAllowed: 1,
      EntryParameters: [],
    },
    SetNewPasswordAllowed: true,
    Password: maskedSecret(state.passwords.get(store.Id)),
  };
}

export function listStores(ctx: RouteContext): Reply {
  const page = listPage([...ctx.state.stores.values()], storeFields, ctx.query);
  return pageReply({ items: page.items.map((store) => storeResponse(ctx.state, store)), total: page.total });
}

export function getStore(ctx: RouteContext): Reply {
  const store = ctx.state.findStore(ctx.params.id);
  // A GET of an unknown id is a 404, unlike ids inside request bodies. // [INFER] wording
  if (!store) throw notFound(`Certificate store with id '${ctx.params.id}' was not found.`);
  return ok(storeResponse(ctx.state, store));
}

const newPasswordMessage = 'must be a string or a KeyfactorAPISecret object ({SecretValue} or {Provider, Parameters})';

const passwordRequest = z.object({
  CertStoreId: guid,
  // The v25 schema is `{}` (any); SPEC-v10 says "string or KeyfactorAPISecret".
  NewPassword: z.union([z.string(), apiSecret], {
    error: (issue) => (issue.input === undefined ? 'Required' : newPasswordMessage),
  }).refine(
    (secret) => typeof secret === 'string' || secret.SecretValue != null || secret.Provider != null,
    { message: 'a KeyfactorAPISecret needs SecretValue or Provider' }, // [INFER]
  ),
});

export function setStorePassword(ctx: RouteContext): Reply {
  const request = parseJsonBody(ctx.body, passwordRequest);
  const store = ctx.state.requireStore(request.CertStoreId);
  const provider = typeof request.NewPassword === 'string' ? null : request.NewPassword.Provider;
  if (provider != null && !ctx.state.pamProviders.has(provider)) {
    throw badRequest(`PAM provider with id '${provider}' was not found.`);
  }
  // Keep NewPassword exactly as sent (zod drops unknown fields) so tests see what the client sent.
  ctx.state.passwords.set(store.Id, (JSON.parse(ctx.body.text) as { NewPassword: unknown }).NewPassword);
  return noContent();
}
