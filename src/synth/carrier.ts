/** Which Terraform resource carries an operation's provisioners. */
export enum CarrierType {
  /** Terraform's built-in `terraform_data` (Terraform >= 1.4): no provider to download. */
  TERRAFORM_DATA = 'terraform_data',
  /** `null_resource` from the hashicorp/null provider (@cdktf/provider-null). */
  NULL_RESOURCE = 'null_resource',
}

/**
 * The resource that carries an operation: its local-exec provisioners run the runner on
 * create and (where the operation has an undo) on destroy.
 */
export class Carrier {
  /**
   * `terraform_data`, built into Terraform >= 1.4. Needs no provider download, which is what
   * air-gapped pipelines need. The default.
   */
  public static terraformData(): Carrier {
    return new Carrier(CarrierType.TERRAFORM_DATA);
  }

  /**
   * `null_resource` from the hashicorp/null provider, for Terraform < 1.4 or teams whose
   * policies expect it. The provider must be installable where `terraform init` runs.
   */
  public static nullResource(): Carrier {
    return new Carrier(CarrierType.NULL_RESOURCE);
  }

  private constructor(
    /** The carrier's resource type. */
    public readonly type: CarrierType,
  ) {}
}
