/**
 * What a valid SAN value of each type is. No cdktf imports: the runner checks SAN values that
 * were Terraform references at synth with these same rules at apply.
 */
import { isIPv6 } from 'net';
import { distinguishedNameProblem, isDottedOid } from './x500';
import { GUID } from '../../contract/guid';

/** Why `value` is not a valid SAN of `kind`, or undefined when it is one. */
export function sanProblem(kind: string, value: string): string | undefined {
  switch (kind) {
    case 'dns':
      return dnsNameProblem(value, true);
    case 'ip4':
      return isIPv4(value) ? undefined : 'must be an IPv4 address in dotted-quad form like 10.0.0.1 (four numbers 0-255, no leading zeros)';
    case 'ip6':
      return isIPv6(value) ? undefined : 'must be an IPv6 address like 2001:db8::1';
    case 'ip':
      return isIPv4(value) || isIPv6(value) ? undefined : 'must be an IPv4 or IPv6 address';
    case 'uri':
      return uriProblem(value);
    case 'rfc822':
      return emailProblem(value, 'an e-mail address like pki-team@example.com');
    case 'ms_ntprincipalname':
      return emailProblem(value, 'a user principal name like svc-web@corp.example.com');
    case 'registeredid':
      return isDottedOid(value) ? undefined : 'must be a dotted OID like 1.3.6.1.4.1.311.21.8';
    case 'directory': {
      const p = distinguishedNameProblem(value);
      return p ? p.replace(/^is not/, 'must be') : undefined;
    }
    case 'ms_ntdsreplication':
      return GUID.test(value) ? undefined : 'must be a GUID (the domain controller\'s DS replication GUID)';
    default:
      return /[\u0000-\u001f]/.test(value) ? 'must not contain control characters' : undefined;
  }
}

function isIPv4(value: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(value);
}

/** RFC 1035/1123 host name; with `wildcard`, the first label may be exactly `*`. */
export function dnsNameProblem(name: string, wildcard: boolean): string | undefined {
  if (/[^\x00-\x7f]/.test(name)) return 'must be ASCII: give an internationalized name in punycode (xn--...)';
  if (name.endsWith('.')) return 'must not end with "."';
  if (name.length > 253) return `must be at most 253 characters, got ${name.length}`;
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === '*' && i === 0 && wildcard) {
      if (labels.length < 2) return 'a wildcard needs a domain after it, like *.example.com';
      continue;
    }
    if (label.includes('*')) {
      return wildcard ? 'a wildcard is allowed only as the whole first label, like *.example.com' : 'must not contain "*"';
    }
    if (label === '') return 'has an empty label ("..", or a leading ".")';
    if (label.length > 63) return `label ${JSON.stringify(label)} is longer than 63 characters`;
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) {
      return `label ${JSON.stringify(label)} may hold only letters, digits and inner hyphens`;
    }
  }
  return undefined;
}

function uriProblem(value: string): string | undefined {
  if (/\s/.test(value)) return 'must not contain whitespace (percent-encode it)';
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:./.test(value)) return 'must be an absolute URI with a scheme, like https://www.example.com/ or spiffe://example.com/web';
  try {
    new URL(value);
  } catch {
    return 'is not a well-formed URI';
  }
  return undefined;
}

function emailProblem(value: string, what: string): string | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return `must be ${what}`;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local)) {
    return `must be ${what}: the part before "@" (${JSON.stringify(local)}) has characters an address cannot hold`;
  }
  const p = dnsNameProblem(domain, false);
  return p ? `must be ${what}: the domain ${JSON.stringify(domain)} ${p}` : undefined;
}
