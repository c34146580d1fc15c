import type { CertificateStorePasswordSpec } from './spec';
import { OperationModule } from '../../runtime/context';
import { apiSecret, describeRef } from '../../runtime/secrets';

/**
 * PUT /CertificateStores/Password on create. No destroy: Command keeps the last password set,
 * and there is no earlier value to restore.
 */
export const certificateStorePassword: OperationModule<CertificateStorePasswordSpec> = {
  async create(ctx, spec) {
    const body = {
      CertStoreId: spec.certStoreId,
      NewPassword: apiSecret(ctx.secrets, spec.newPassword, 'newPassword'),
    };
    const request = { CertStoreId: spec.certStoreId, NewPassword: describeRef(spec.newPassword) };
    const res = await ctx.client.request<unknown>('PUT', '/CertificateStores/Password', { body });
    const rotation = spec.rotationKey !== undefined ? ` (rotation key ${JSON.stringify(spec.rotationKey)})` : '';
    const message = `password of certificate store ${spec.certStoreId} set from ${describeRef(spec.newPassword)}${rotation}`;
    ctx.log(`${message}: HTTP ${res.status}`);
    return { request, message };
  },
};
