import { distinguishedNameProblem, DistinguishedNameError, isDottedOid, parseDistinguishedName } from '../../../src/operations/certificate-store-reenrollment/x500';

const pairs = (dn: string) => parseDistinguishedName(dn).rdns.map((rdn) => rdn.map((a) => `${a.type}=${a.value}`).join('+'));

describe('X.500 distinguished name parser: valid names', () => {
  test('the reference example: quoted value holding a comma', () => {
    expect(pairs('CN=host,OU=IT,O="Key Example, Inc.",C=US')).toEqual(['CN=host', 'OU=IT', 'O=Key Example, Inc.', 'C=US']);
  });

  test.each([
    ['escaped comma', 'O=Key Example\\, Inc.,C=US', ['O=Key Example, Inc.', 'C=US']],
    ['escaped quote, backslash, plus, semicolon, angle brackets, equals, hash', 'CN=a\\"b\\\\c\\+d\\;e\\<f\\>g\\=h\\#i', ['CN=a"b\\c+d;e<f>g=h#i']],
    ['hex-escaped UTF-8 bytes', 'CN=Caf\\C3\\A9', ['CN=Café']],
    ['unicode as is', 'CN=Zürich,C=CH', ['CN=Zürich', 'C=CH']],
    ['multi-valued RDN', 'CN=web+UID=jdoe,O=Example', ['CN=web+UID=jdoe', 'O=Example']],
    ['case-insensitive types, spaces around separators and "="', 'cn = host , ou=IT+ uid=x ,c=us', ['CN=host', 'OU=IT+UID=x', 'C=us']],
    ['dotted OID and OID. prefix', '2.5.4.3=host,OID.1.2.840.113549.1.9.1=pki@example.com', ['2.5.4.3=host', '1.2.840.113549.1.9.1=pki@example.com']],
    ['every common keyword', 'CN=a,O=b,OU=c,L=d,ST=e,S=f,C=US,E=g@h.i,EMAILADDRESS=j@k.l,DC=example,SERIALNUMBER=1,STREET=1 Main St,T=Eng,G=Jane,SN=Doe,UID=jd',
      ['CN=a', 'O=b', 'OU=c', 'L=d', 'ST=e', 'S=f', 'C=US', 'E=g@h.i', 'EMAILADDRESS=j@k.l', 'DC=example', 'SERIALNUMBER=1', 'STREET=1 Main St', 'T=Eng', 'G=Jane', 'SN=Doe', 'UID=jd']],
    ['quoted value with escaped and doubled quotes', 'O="Say \\"hi\\" and ""bye"""', ['O=Say "hi" and "bye"']],
    ['quoted value keeps +, ;, = and a trailing space', 'CN="a+b;c=d ",C=US', ['CN=a+b;c=d ', 'C=US']],
    ['unescaped trailing spaces are dropped, an escaped one kept', 'CN=a  ,OU=b\\ ', ['CN=a', 'OU=b ']],
    ['BER hex value', 'CN=#04024869', ['CN=#04024869']],
    ['single RDN', 'CN=localhost', ['CN=localhost']],
  ])('%s', (_name, dn, expected) => {
    expect(pairs(dn)).toEqual(expected);
    expect(distinguishedNameProblem(dn)).toBeUndefined();
  });
});

describe('X.500 distinguished name parser: invalid names say what and where', () => {
  test.each([
    ['empty', '', /is empty/],
    ['only spaces', '   ', /is empty/],
    ['empty value', 'CN=,O=x', /CN has an empty value \(at position 3\)/],
    ['empty quoted value', 'CN=""', /CN has an empty value/],
    ['blank value', 'CN=   ,O=x', /CN has an empty value/],
    ['unterminated quote', 'O="Key Example, Inc.', /O has an unterminated quoted value \(at position 2\)/],
    ['text after the closing quote', 'O="Key" Inc', /unexpected "I" after the closing quote/],
    ['trailing comma', 'CN=a,', /ends with ","/],
    ['leading comma', ',CN=a', /expected an attribute type such as CN, found "," \(at position 0\)/],
    ['empty RDN', 'CN=a,,O=b', /expected an attribute type such as CN, found ","/],
    ['missing "="', 'CN host', /expected "=" after attribute type CN/],
    ['type without value at the end', 'CN=a,O', /attribute type O has no "=value"/],
    ['unknown attribute type', 'CN=a,XYZ=b', /unknown attribute type "XYZ".*dotted OID \(at position 5\)/],
    ['malformed OID', '2.5..4=x', /not a valid dotted OID/],
    ['OID with a first arc above 2', '3.1=x', /not a valid dotted OID/],
    ['OID with a leading zero', '2.05.4=x', /not a valid dotted OID/],
    ['three-letter country', 'CN=a,C=USA', /C must be a two-letter ISO 3166 country code such as US, got "USA"/],
    ['one-letter country', 'C=U', /two-letter/],
    ['country with a digit', 'C=U1', /two-letter/],
    ['country by OID too', '2.5.4.6=USA', /two-letter/],
    ['unescaped quote inside a value', 'CN=a"b', /a quote inside a value must be escaped/],
    ['semicolon separator', 'CN=a;O=b', /";" must be escaped as \\; or the value quoted \(separate RDNs with ","\)/],
    ['unescaped angle bracket', 'CN=a<b', /"<" must be escaped/],
    ['invalid escape', 'CN=a\\qb', /invalid escape "\\q"/],
    ['backslash at the end', 'CN=a\\', /escapes nothing/],
    ['type repeated inside one RDN', 'CN=a+cn=b', /multi-valued RDN repeats attribute type CN/],
    ['odd-length BER hex', 'CN=#abc', /BER-encoded hex string/],
    ['"#" followed by text', 'CN=#hello', /BER-encoded hex string/],
  ])('%s', (_name, dn, expected) => {
    expect(() => parseDistinguishedName(dn)).toThrow(DistinguishedNameError);
    expect(() => parseDistinguishedName(dn)).toThrow(expected);
    expect(distinguishedNameProblem(dn)).toMatch(/^is not a valid X\.500 distinguished name: /);
  });

  test('a non-string is reported, not thrown', () => {
    expect(distinguishedNameProblem(42)).toMatch(/must be an X\.500 distinguished name string/);
  });
});

test('dotted OIDs', () => {
  expect(isDottedOid('1.3.6.1.4.1.311.21.8')).toBe(true);
  expect(isDottedOid('2.5.4.3')).toBe(true);
  for (const bad of ['1', '1.', '.1.2', '1..2', '4.1', '1.02', 'a.b']) expect(isDottedOid(bad)).toBe(false);
});
