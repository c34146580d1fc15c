import { sanProblem } from './san-rules';
import { isTerraformValue } from '../../synth/expression';
import { show, Validator } from '../../synth/validation';

/** The SAN type keys Keyfactor Command's enrollment and reenrollment APIs take (`SANs`). */
const API_SAN_KEYS = [
  'other', 'rfc822', 'dns', 'x400', 'directory', 'ediparty', 'uri', 'ip', 'ip4', 'ip6',
  'registeredid', 'ms_ntprincipalname', 'ms_ntdsreplication',
] as const;

/** Keys with their own factory: `other(kind, ...)` refuses them and names the factory. */
const DEDICATED: Record<string, string> = {
  dns: 'SubjectAlternativeName.dns(name)',
  ip4: 'SubjectAlternativeName.ip4(address)',
  ip6: 'SubjectAlternativeName.ip6(address)',
  uri: 'SubjectAlternativeName.uri(uri)',
  rfc822: 'SubjectAlternativeName.rfc822(email)',
  ms_ntprincipalname: 'SubjectAlternativeName.upn(name)',
};

/**
 * One subject alternative name of a certificate request, sent in Command's `SANs` map
 * (`{ "dns": ["www.example.com"], "ip4": ["10.0.0.1"] }`). Values are checked at synth
 * against the rules of their kind; the error names the construct and the `sans[i]` entry.
 */
export class SubjectAlternativeName {
  /**
   * A DNS name (`dns`). A wildcard is allowed as the whole first label (`*.example.com`);
   * internationalized names must be given in punycode (`xn--...`).
   * @param name e.g. `www.example.com`
   */
  public static dns(name: string): SubjectAlternativeName {
    return new SubjectAlternativeName('dns', name);
  }

  /**
   * An IPv4 address (`ip4`) in dotted-quad form.
   * @param address e.g. `10.0.0.1`
   */
  public static ip4(address: string): SubjectAlternativeName {
    return new SubjectAlternativeName('ip4', address);
  }

  /**
   * An IPv6 address (`ip6`).
   * @param address e.g. `2001:db8::1`
   */
  public static ip6(address: string): SubjectAlternativeName {
    return new SubjectAlternativeName('ip6', address);
  }

  /**
   * An absolute URI (`uri`).
   * @param uri e.g. `spiffe://example.com/web`
   */
  public static uri(uri: string): SubjectAlternativeName {
    return new SubjectAlternativeName('uri', uri);
  }

  /**
   * An e-mail address (`rfc822`).
   * @param email e.g. `pki-team@example.com`
   */
  public static rfc822(email: string): SubjectAlternativeName {
    return new SubjectAlternativeName('rfc822', email);
  }

  /**
   * A Microsoft user principal name (`ms_ntprincipalname`).
   * @param name e.g. `svc-web@corp.example.com`
   */
  public static upn(name: string): SubjectAlternativeName {
    return new SubjectAlternativeName('ms_ntprincipalname', name);
  }

  /**
   * A SAN of one of the remaining kinds Command accepts: `other`, `x400`, `directory`
   * (an X.500 DN), `ediparty`, `ip` (IPv4 or IPv6), `registeredid` (a dotted OID) or
   * `ms_ntdsreplication` (a GUID). Kinds with their own factory (dns, ip4, ip6, uri, rfc822,
   * ms_ntprincipalname) are refused here.
   * @param kind the API's SAN type key, e.g. `registeredid`
   * @param value the value, e.g. `1.3.6.1.4.1.311.21.8`
   */
  public static other(kind: string, value: string): SubjectAlternativeName {
    return new SubjectAlternativeName(typeof kind === 'string' ? kind.trim().toLowerCase() : kind, value, true);
  }

  private constructor(
    /** The API's SAN type key, e.g. `dns`. */
    public readonly kind: string,
    /** The value as given. */
    public readonly value: string,
    private readonly viaOther: boolean = false,
  ) {}

  /**
   * Validates the value for its kind; returns false (after reporting) when it is not valid.
   * @internal
   */
  public _validate(v: Validator, field: string): boolean {
    const kind = this.kind;
    if (this.viaOther) {
      if (!(API_SAN_KEYS as readonly string[]).includes(kind)) {
        v.fail(`${field}.kind`, `${show(kind)} is not a SAN type Keyfactor Command accepts; use one of ${API_SAN_KEYS.join(', ')}`);
        return false;
      }
      if (DEDICATED[kind]) {
        v.fail(`${field}.kind`, `use ${DEDICATED[kind]} for ${kind} names, not SubjectAlternativeName.other`);
        return false;
      }
    }
    // A reference is checked by the runner once Terraform evaluated it (renderSans defers it).
    if (isTerraformValue(this.value)) return true;
    if (typeof this.value !== 'string' || this.value.trim() === '') {
      v.fail(field, `${kind}: the value must be a non-empty string, got ${show(this.value)}`);
      return false;
    }
    const problem = sanProblem(kind, this.value);
    if (problem) {
      v.fail(field, `${kind} ${show(this.value)}: ${problem}`);
      return false;
    }
    return true;
  }
}

/**
 * Validates a list of SANs and renders Command's `SANs` map (`{dns: [...], ip4: [...]}`),
 * keys in first-seen order. A value listed twice under the same key is an error.
 */
export function renderSans(v: Validator, field: string, sans: unknown): Record<string, string[]> | undefined {
  if (sans === undefined) return undefined;
  if (!Array.isArray(sans)) {
    v.fail(field, `must be a list of SubjectAlternativeName values, got ${show(sans)}`);
    return undefined;
  }
  const out: Record<string, string[]> = {};
  const seen = new Map<string, number>();
  sans.forEach((san, i) => {
    const f = `${field}[${i}]`;
    if (!(san instanceof SubjectAlternativeName)) {
      v.fail(f, `must be made with a SubjectAlternativeName factory such as SubjectAlternativeName.dns("www.example.com"), got ${show(san)}`);
      return;
    }
    if (!san._validate(v, f)) return;
    if (isTerraformValue(san.value)) {
      const list = (out[san.kind] ??= []);
      v.defer({ field: f, at: `${field}.${san.kind}.${list.length}`, rule: 'san', kind: san.kind });
      list.push(san.value);
      return;
    }
    const dedupe = `${san.kind}\u0000${['dns', 'rfc822', 'ms_ntprincipalname'].includes(san.kind) ? san.value.toLowerCase() : san.value}`;
    if (seen.has(dedupe)) {
      v.fail(f, `${san.kind} ${show(san.value)} is already listed at ${field}[${seen.get(dedupe)}]`);
      return;
    }
    seen.set(dedupe, i);
    (out[san.kind] ??= []).push(san.value);
  });
  return out;
}
