/**
 * A parser for X.500 distinguished names as Keyfactor Command takes them in `SubjectName`
 * (e.g. `CN=host,OU=IT,O="Key Example, Inc.",C=US`), used to reject malformed subjects at synth
 * instead of at apply time.
 *
 * Grammar (RFC 4514 string form, plus the RFC 1779 / Windows quoting Command accepts):
 *
 *   dn        = rdn *( "," rdn )                 ; whitespace around "," "+" "=" is ignored
 *   rdn       = atv *( "+" atv )                 ; multi-valued RDN, each attribute type once
 *   atv       = type "=" value
 *   type      = keyword | oid | "OID." oid       ; keywords case-insensitive, from KNOWN_TYPES
 *   value     = quoted | "#" hexpairs | unquoted
 *   quoted    = DQUOTE *( any but DQUOTE or "\" | "\" any | DQUOTE DQUOTE ) DQUOTE
 *   unquoted  = *( any but , + " \ < > ; | "\" special | "\" hexpair )
 *
 * Values may not be empty; `C` must be a two-letter country code. This module has no cdktf
 * imports, so it can be used anywhere.
 */

/** One `TYPE=value` pair. `type` is upper-cased (keywords) or the dotted OID. */
export interface AttributeTypeAndValue {
  readonly type: string;
  /** The value with quotes removed and escapes decoded. */
  readonly value: string;
}

/** A parsed distinguished name: its RDNs in the order written, each a set of one or more pairs. */
export interface DistinguishedName {
  readonly rdns: ReadonlyArray<ReadonlyArray<AttributeTypeAndValue>>;
}

/** Attribute type keywords accepted (case-insensitive): RFC 4514/4519 names plus the Windows (CertStrToName) ones. */
export const KNOWN_ATTRIBUTE_TYPES: ReadonlySet<string> = new Set([
  'CN', 'COMMONNAME',
  'O', 'ORGANIZATIONNAME',
  'OU', 'ORGANIZATIONALUNITNAME',
  'L', 'LOCALITYNAME',
  'ST', 'S', 'STATEORPROVINCENAME',
  'C', 'COUNTRYNAME',
  'E', 'EMAIL', 'EMAILADDRESS',
  'DC', 'DOMAINCOMPONENT',
  'SERIALNUMBER', 'DEVICESERIALNUMBER',
  'STREET', 'STREETADDRESS',
  'T', 'TITLE',
  'G', 'GN', 'GIVENNAME',
  'SN', 'SURNAME',
  'I', 'INITIALS',
  'UID', 'USERID',
  'POSTALCODE', 'POSTALADDRESS', 'POBOX', 'POSTOFFICEBOX',
  'DESCRIPTION', 'BUSINESSCATEGORY', 'NAME', 'PSEUDONYM',
  'GENERATIONQUALIFIER', 'DNQUALIFIER',
  'UNSTRUCTUREDNAME', 'UNSTRUCTUREDADDRESS',
  'PHONE', 'TELEPHONENUMBER', 'X21ADDRESS',
  'ORGANIZATIONIDENTIFIER',
]);

const COUNTRY_TYPES = new Set(['C', 'COUNTRYNAME', '2.5.4.6']);

/** A DN that does not parse; `position` is the 0-based offset of the problem. */
export class DistinguishedNameError extends Error {
  constructor(readonly position: number, readonly detail: string) {
    super(`${detail} (at position ${position})`);
    this.name = 'DistinguishedNameError';
  }
}

/** Parses `text`; throws DistinguishedNameError saying what is wrong and where. */
export function parseDistinguishedName(text: string): DistinguishedName {
  if (typeof text !== 'string' || text.trim() === '') throw new DistinguishedNameError(0, 'is empty');
  return new DnParser(text).parse();
}

/** Why `text` is not a valid distinguished name, or undefined when it is one. */
export function distinguishedNameProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `must be an X.500 distinguished name string such as "CN=host,O=Example,C=US", got ${typeof text}`;
  try {
    parseDistinguishedName(text);
    return undefined;
  } catch (e) {
    if (e instanceof DistinguishedNameError) return `is not a valid X.500 distinguished name: ${e.message}`;
    throw e;
  }
}

/** Dotted-decimal object identifier, e.g. 2.5.4.3 (first arc 0-2, no leading zeros). */
export function isDottedOid(text: string): boolean {
  return /^[0-2](\.(0|[1-9]\d*))+$/.test(text);
}

const HEX = /^[0-9a-fA-F]{2}$/;
/** Characters an unquoted value must escape (RFC 4514 + ";" which some writers use as a separator). */
const MUST_ESCAPE = new Set([',', '+', '"', '\\', '<', '>', ';']);
/** Characters that may follow "\" in an unquoted value. */
const ESCAPABLE = new Set([',', '+', '"', '\\', '<', '>', ';', '=', '#', ' ']);

class DnParser {
  private i = 0;

  constructor(private readonly s: string) {}

  parse(): DistinguishedName {
    const rdns: AttributeTypeAndValue[][] = [];
    for (;;) {
      rdns.push(this.rdn());
      this.skipSpaces();
      if (this.i >= this.s.length) break;
      const ch = this.s[this.i];
      if (ch !== ',') throw this.error(`expected "," between RDNs, found ${JSON.stringify(ch)}`);
      this.i++;
      this.skipSpaces();
      if (this.i >= this.s.length) throw this.error('ends with ","; remove the trailing comma');
    }
    return { rdns };
  }

  private rdn(): AttributeTypeAndValue[] {
    const start = this.i;
    const atvs = [this.atv()];
    for (;;) {
      this.skipSpaces();
      if (this.s[this.i] !== '+') break;
      this.i++;
      atvs.push(this.atv());
    }
    const seen = new Set<string>();
    for (const atv of atvs) {
      if (seen.has(atv.type)) {
        throw new DistinguishedNameError(start, `multi-valued RDN repeats attribute type ${atv.type}; each type may appear once per RDN (use "," to start a new RDN)`);
      }
      seen.add(atv.type);
    }
    return atvs;
  }

  private atv(): AttributeTypeAndValue {
    this.skipSpaces();
    const type = this.attributeType();
    this.skipSpaces();
    if (this.s[this.i] !== '=') {
      throw this.error(this.i >= this.s.length ? `attribute type ${type} has no "=value"` : `expected "=" after attribute type ${type}, found ${JSON.stringify(this.s[this.i])}`);
    }
    this.i++;
    this.skipSpaces();
    const valueStart = this.i;
    const value = this.attributeValue(type);
    if (value.trim() === '') throw new DistinguishedNameError(valueStart, `${type} has an empty value`);
    if (COUNTRY_TYPES.has(type) && !/^[A-Za-z]{2}$/.test(value)) {
      throw new DistinguishedNameError(valueStart, `C must be a two-letter ISO 3166 country code such as US, got ${JSON.stringify(value)}`);
    }
    return { type, value };
  }

  private attributeType(): string {
    const start = this.i;
    while (this.i < this.s.length && /[A-Za-z0-9.\-]/.test(this.s[this.i])) this.i++;
    const raw = this.s.slice(start, this.i);
    if (raw === '') {
      const found = this.i < this.s.length ? JSON.stringify(this.s[this.i]) : 'the end';
      throw new DistinguishedNameError(start, `expected an attribute type such as CN, found ${found}`);
    }
    const oid = /^oid\./i.test(raw) ? raw.slice(4) : raw;
    if (/^[0-9]/.test(oid)) {
      if (!isDottedOid(oid)) throw new DistinguishedNameError(start, `attribute type ${JSON.stringify(raw)} is not a valid dotted OID such as 2.5.4.3`);
      return oid;
    }
    const upper = raw.toUpperCase();
    if (!KNOWN_ATTRIBUTE_TYPES.has(upper)) {
      throw new DistinguishedNameError(start, `unknown attribute type ${JSON.stringify(raw)}; use a known one (CN, O, OU, L, ST, C, E, DC, SERIALNUMBER, STREET, T, G, SN, UID, ...) or a dotted OID`);
    }
    return upper;
  }

  private attributeValue(type: string): string {
    const ch = this.s[this.i];
    if (ch === '"') return this.quotedValue(type);
    if (ch === '#') return this.hexValue(type);
    return this.unquotedValue(type);
  }

  private quotedValue(type: string): string {
    const open = this.i;
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) throw new DistinguishedNameError(open, `${type} has an unterminated quoted value`);
      const ch = this.s[this.i];
      if (ch === '\\') {
        if (this.i + 1 >= this.s.length) throw this.error(`${type}: "\\" at the end of the name escapes nothing`);
        out += this.s[this.i + 1];
        this.i += 2;
      } else if (ch === '"') {
        if (this.s[this.i + 1] === '"') { // "" inside quotes is a literal quote (Windows CertStrToName)
          out += '"';
          this.i += 2;
          continue;
        }
        this.i++;
        break;
      } else {
        out += ch;
        this.i++;
      }
    }
    this.skipSpaces();
    const next = this.s[this.i];
    if (this.i < this.s.length && next !== ',' && next !== '+') {
      throw this.error(`${type}: unexpected ${JSON.stringify(next)} after the closing quote; quote the whole value`);
    }
    return out;
  }

  private hexValue(type: string): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length && /[0-9a-fA-F]/.test(this.s[this.i])) this.i++;
    const hex = this.s.slice(start + 1, this.i);
    this.skipSpaces();
    const next = this.s[this.i];
    if (hex.length === 0 || hex.length % 2 !== 0 || (this.i < this.s.length && next !== ',' && next !== '+')) {
      throw new DistinguishedNameError(start, `${type}: a value starting with "#" must be a BER-encoded hex string like #0403414243; to start a text value with "#", escape it as \\#`);
    }
    return this.s.slice(start, start + 1 + hex.length);
  }

  private unquotedValue(type: string): string {
    const bytes: number[] = [];
    let trailingUnescapedSpaces = 0;
    const push = (text: string, escaped: boolean) => {
      for (const b of Buffer.from(text, 'utf8')) bytes.push(b);
      trailingUnescapedSpaces = !escaped && text === ' ' ? trailingUnescapedSpaces + 1 : 0;
    };
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (ch === ',' || ch === '+') break;
      if (ch === '\\') {
        const pair = this.s.slice(this.i + 1, this.i + 3);
        if (HEX.test(pair)) {
          bytes.push(parseInt(pair, 16));
          trailingUnescapedSpaces = 0;
          this.i += 3;
          continue;
        }
        const next = this.s[this.i + 1];
        if (next === undefined) throw this.error(`${type}: "\\" at the end of the name escapes nothing`);
        if (!ESCAPABLE.has(next)) {
          throw this.error(`${type}: invalid escape "\\${next}"; escape only , + " \\ < > ; = # space, or a byte as two hex digits`);
        }
        push(next, true);
        this.i += 2;
        continue;
      }
      if (MUST_ESCAPE.has(ch)) {
        throw this.error(ch === '"'
          ? `${type}: a quote inside a value must be escaped as \\" (or quote the whole value)`
          : `${type}: ${JSON.stringify(ch)} must be escaped as \\${ch} or the value quoted${ch === ';' ? ' (separate RDNs with ",")' : ''}`);
      }
      push(ch, false);
      this.i++;
    }
    const decoded = Buffer.from(bytes.slice(0, bytes.length - trailingUnescapedSpaces)).toString('utf8');
    return decoded;
  }

  private skipSpaces(): void {
    while (this.i < this.s.length && (this.s[this.i] === ' ' || this.s[this.i] === '\t')) this.i++;
  }

  private error(detail: string): DistinguishedNameError {
    return new DistinguishedNameError(this.i, detail);
  }
}
