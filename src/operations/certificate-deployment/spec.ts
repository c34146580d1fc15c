import type { KeyfactorSchedule, SecretRef, SpecBase } from '../../contract/spec';

/** One store of a CertificateDeployment: the carrier instance keyed by its GUID (lower case). */
export interface DeploymentStoreSpec {
  readonly certificateStoreId: string;
  readonly alias?: string;
  readonly includePrivateKey?: boolean;
  readonly overwrite?: boolean;
  readonly entryPassword?: SecretRef;
  readonly pfxPassword?: SecretRef;
  readonly jobFields?: Record<string, unknown>;
}

/** What a CertificateDeployment carrier instance hands the runner (secrets as references only). */
export interface CertificateDeploymentSpec extends SpecBase {
  readonly operation: 'CertificateDeployment';
  readonly certificateId: number;
  readonly store: DeploymentStoreSpec;
  readonly schedule: KeyfactorSchedule;
  readonly collectionId?: number;
  readonly removeOnDestroy: boolean;
}
