import type { SpecBase } from '../../contract/spec';

/**
 * What the CertificateStoreReenrollment carrier hands the runner.
 */
export interface CertificateStoreReenrollmentSpec extends SpecBase {
  readonly operation: 'CertificateStoreReenrollment';
  readonly keystoreId: string;
  readonly subjectName: string;
  readonly agentGuid: string;
  readonly alias: string;
  readonly jobProperties?: Record<string, unknown>;
  readonly certificateAuthority?: string;
  readonly certificateTemplate?: string;
  readonly enrollmentPatternId?: number;
  /** Rendered SANs map, e.g. `{dns: ['www.example.com'], ip4: ['10.0.0.1']}`. */
  readonly sans?: Record<string, string[]>;
  readonly additionalEnrollmentFields?: Record<string, string>;
  readonly metadata?: Record<string, string>;
  readonly overwrite?: boolean;
  readonly ownerRoleId?: number;
  readonly ownerRoleName?: string;
}
