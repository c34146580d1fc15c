import { notFound, ok, Reply } from '../http';
import type { RouteContext } from './context';

/** GET /Certificates/{id}: a subset of CertificateRetrievalResponse. */
export function getCertificate(ctx: RouteContext): Reply {
  const includeLocations = ctx.query.bool('includeLocations', false);
  const includeMetadata = ctx.query.bool('includeMetadata', false);
  const id = Number(ctx.params.id);
  const cert = ctx.state.certificates.get(id);
  if (!cert) throw notFound(`Certificate with id '${ctx.params.id}' was not found.`); // [INFER] wording
  const body: Record<string, unknown> = {
    Id: cert.Id,
    Thumbprint: cert.Thumbprint,
    IssuedDN: `CN=${cert.IssuedCN}`,
    IssuedCN: cert.IssuedCN,
  };
  if (includeLocations) {
    body.Locations = ctx.state.locationsOf(cert.Id).map((location) => {
      const store = ctx.state.findStore(location.storeId)!;
      return {
        StoreMachine: store.ClientMachine,
        StorePath: store.Storepath,
        StoreType: store.CertStoreType,
        Alias: location.alias,
        ChainLevel: 0,
        CertStoreId: store.Id,
      };
    });
  }
  if (includeMetadata) body.Metadata = {};
  return ok(body);
}
