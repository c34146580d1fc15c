import { Testing, TerraformStack } from 'cdktf';
import { CertificateStoreReenrollment, CertificateStoreReenrollmentProps, SubjectAlternativeName } from '../../../src';
import { caseVariant } from '../../support/guid';
import { synthJson, synthErrors } from '../../support/synth';

// Letters in the GUID, so that case-insensitive handling is really exercised.
const STORE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SYNTH_AGENT = 'b7c8d9e0-f1a2-4b3c-8d4e-5f6a7b8c9d0e';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'unit');
}

const base: CertificateStoreReenrollmentProps = {
  keystoreId: STORE,
  agentGuid: SYNTH_AGENT,
  subjectName: 'CN=web-01.example.test,OU=IT,O="Key Example, Inc.",C=US',
  alias: 'web',
};

function reenroll(props: Partial<CertificateStoreReenrollmentProps>, s: TerraformStack = stack()) {
  return new CertificateStoreReenrollment(s, 'rekey-web', { ...base, ...props } as CertificateStoreReenrollmentProps);
}

function specOf(s: TerraformStack): any {
  const json = synthJson(s);
  const carriers = Object.values<any>(json.resource.terraform_data);
  expect(carriers).toHaveLength(1);
  return { carrier: carriers[0], spec: JSON.parse(carriers[0].input.spec) };
}

const San = SubjectAlternativeName;

describe('CertificateStoreReenrollment synth-time validation', () => {
  const cases: Array<[string, Partial<CertificateStoreReenrollmentProps>, RegExp]> = [
    ['keystoreId not a GUID', { keystoreId: 'store-1' }, /\[unit\/rekey-web\] keystoreId: must be a GUID .*"store-1"/],
    ['keystoreId missing', { keystoreId: undefined }, /\[unit\/rekey-web\] keystoreId: must be a GUID .*got nothing/],
    ['agentGuid not a GUID', { agentGuid: 'orchestrator-01' }, /\[unit\/rekey-web\] agentGuid: must be a GUID/],
    ['alias empty', { alias: '' }, /\[unit\/rekey-web\] alias: must be a non-empty string/],
    ['alias missing', { alias: undefined }, /\[unit\/rekey-web\] alias: must be a non-empty string/],
    ['subjectName missing', { subjectName: undefined }, /\[unit\/rekey-web\] subjectName: must be a non-empty string/],
    ['subjectName with an empty value', { subjectName: 'CN=,O=Example' }, /\[unit\/rekey-web\] subjectName: is not a valid X\.500 distinguished name: CN has an empty value/],
    ['subjectName with a three-letter country', { subjectName: 'CN=a,C=USA' }, /\[unit\/rekey-web\] subjectName: .*C must be a two-letter/],
    ['subjectName with an unquoted comma in O', { subjectName: 'CN=a,O=Key Example, Inc.' }, /\[unit\/rekey-web\] subjectName: .*expected "=" after attribute type INC\.|unknown attribute type "Inc\."/],
    ['subjectName not a DN at all', { subjectName: 'web-01.example.test' }, /\[unit\/rekey-web\] subjectName: .*unknown attribute type "web-01\.example\.test"|subjectName: .*has no "=value"/],
    ['jobProperties not a map', { jobProperties: ['x'] as any }, /\[unit\/rekey-web\] jobProperties: must be a map/],
    ['certificateAuthority empty', { certificateAuthority: ' ' }, /\[unit\/rekey-web\] certificateAuthority: must be a non-empty string/],
    ['enrollmentPatternId 0', { enrollmentPatternId: 0 }, /\[unit\/rekey-web\] enrollmentPatternId: must be an integer from 1/],
    ['certificateTemplate and enrollmentPatternId together', { certificateTemplate: 'WebServer', enrollmentPatternId: 2 }, /\[unit\/rekey-web\] certificateTemplate: give at most one of certificateTemplate and enrollmentPatternId/],
    ['ownerRoleId and ownerRoleName together', { ownerRoleId: 3, ownerRoleName: 'PKI Admins' }, /\[unit\/rekey-web\] ownerRoleId: give at most one of ownerRoleId and ownerRoleName, not both/],
    ['ownerRoleId 0', { ownerRoleId: 0 }, /\[unit\/rekey-web\] ownerRoleId: must be an integer from 1/],
    ['ownerRoleName empty', { ownerRoleName: '' }, /\[unit\/rekey-web\] ownerRoleName: must be a non-empty string/],
    ['metadata value not a string', { metadata: { Owner: 42 as any } }, /\[unit\/rekey-web\] metadata\.Owner: must be a string/],
    ['additionalEnrollmentFields not a map', { additionalEnrollmentFields: 'x' as any }, /\[unit\/rekey-web\] additionalEnrollmentFields: must be a map of strings/],
    ['overwrite not a boolean', { overwrite: 'true' as any }, /\[unit\/rekey-web\] overwrite: must be true or false/],
    ['sans not a list', { sans: San.dns('a.example.com') as any }, /\[unit\/rekey-web\] sans: must be a list of SubjectAlternativeName values/],
    ['san as a plain object', { sans: [{ dns: 'a.example.com' } as any] }, /\[unit\/rekey-web\] sans\[0\]: must be made with a SubjectAlternativeName factory/],
    ['dns with a bad label', { sans: [San.dns('web_01.example.com')] }, /\[unit\/rekey-web\] sans\[0\]: dns "web_01\.example\.com": label "web_01" may hold only letters, digits and inner hyphens/],
    ['dns wildcard not first', { sans: [San.dns('www.*.example.com')] }, /\[unit\/rekey-web\] sans\[0\]: dns .*wildcard is allowed only as the whole first label/],
    ['dns partial wildcard', { sans: [San.dns('w*.example.com')] }, /sans\[0\]: dns .*wildcard is allowed only as the whole first label/],
    ['dns bare wildcard', { sans: [San.dns('*')] }, /sans\[0\]: dns .*a wildcard needs a domain after it/],
    ['dns trailing dot', { sans: [San.dns('example.com.')] }, /sans\[0\]: dns .*must not end with "\."/],
    ['dns empty label', { sans: [San.dns('a..example.com')] }, /sans\[0\]: dns .*empty label/],
    ['dns label with a leading hyphen', { sans: [San.dns('-a.example.com')] }, /sans\[0\]: dns .*inner hyphens/],
    ['dns label of 64 characters', { sans: [San.dns(`${'a'.repeat(64)}.example.com`)] }, /sans\[0\]: dns .*longer than 63 characters/],
    ['dns non-ASCII', { sans: [San.dns('bücher.example')] }, /sans\[0\]: dns .*punycode/],
    ['dns empty', { sans: [San.dns('')] }, /\[unit\/rekey-web\] sans\[0\]: dns: the value must be a non-empty string/],
    ['ip4 out of range', { sans: [San.ip4('10.0.0.256')] }, /sans\[0\]: ip4 "10\.0\.0\.256": must be an IPv4 address in dotted-quad form/],
    ['ip4 with three parts', { sans: [San.ip4('10.0.1')] }, /sans\[0\]: ip4 .*dotted-quad/],
    ['ip4 with a leading zero', { sans: [San.ip4('10.0.0.01')] }, /sans\[0\]: ip4 .*no leading zeros/],
    ['ip4 given an IPv6 address', { sans: [San.ip4('::1')] }, /sans\[0\]: ip4 .*dotted-quad/],
    ['ip6 malformed', { sans: [San.ip6('2001:db8:::1')] }, /sans\[0\]: ip6 "2001:db8:::1": must be an IPv6 address/],
    ['ip6 given an IPv4 address', { sans: [San.ip6('10.0.0.1')] }, /sans\[0\]: ip6 .*must be an IPv6 address/],
    ['uri relative', { sans: [San.uri('/just/a/path')] }, /sans\[0\]: uri .*must be an absolute URI with a scheme/],
    ['uri with a space', { sans: [San.uri('https://example.com/a b')] }, /sans\[0\]: uri .*whitespace/],
    ['rfc822 without @', { sans: [San.rfc822('pki-team.example.com')] }, /sans\[0\]: rfc822 .*must be an e-mail address/],
    ['rfc822 with a bad domain', { sans: [San.rfc822('pki@example..com')] }, /sans\[0\]: rfc822 .*the domain "example\.\.com"/],
    ['rfc822 with a space in the local part', { sans: [San.rfc822('pki team@example.com')] }, /sans\[0\]: rfc822 .*the part before "@"/],
    ['upn without a domain', { sans: [San.upn('svc-web')] }, /sans\[0\]: ms_ntprincipalname .*must be a user principal name/],
    ['other with an unknown kind', { sans: [San.other('email', 'a@b.c')] }, /\[unit\/rekey-web\] sans\[0\]\.kind: "email" is not a SAN type Keyfactor Command accepts; use one of other, rfc822, dns/],
    ['other used for a kind with a factory', { sans: [San.other('dns', 'a.example.com')] }, /sans\[0\]\.kind: use SubjectAlternativeName\.dns\(name\) for dns names/],
    ['other registeredid not an OID', { sans: [San.other('registeredid', 'abc')] }, /sans\[0\]: registeredid "abc": must be a dotted OID/],
    ['other directory not a DN', { sans: [San.other('directory', 'CN=a,C=USA')] }, /sans\[0\]: directory .*must be a valid X\.500 distinguished name: C must be a two-letter/],
    ['other ip not an address', { sans: [San.other('ip', 'localhost')] }, /sans\[0\]: ip "localhost": must be an IPv4 or IPv6 address/],
    ['other ms_ntdsreplication not a GUID', { sans: [San.other('ms_ntdsreplication', 'dc01')] }, /sans\[0\]: ms_ntdsreplication .*must be a GUID/],
    ['duplicate SAN', { sans: [San.dns('www.example.com'), San.ip4('10.0.0.1'), San.dns('WWW.example.com')] }, /\[unit\/rekey-web\] sans\[2\]: dns "WWW\.example\.com" is already listed at sans\[0\]/],
  ];

  test.each(cases)('%s', (_name, props, expected) => {
    expect(synthErrors(reenroll(props))).toMatch(expected);
  });

  test('several problems are reported together, naming the construct kind', () => {
    expect(synthErrors(reenroll({ keystoreId: 'x', subjectName: 'CN=', sans: [San.ip4('1.2.3')] })))
      .toMatch(/\[unit\/rekey-web\] keystoreId: .*\n\[unit\/rekey-web\] subjectName: .*\n\[unit\/rekey-web\] sans\[0\]: /);
  });
});

describe('CertificateStoreReenrollment rendering', () => {
  test('the spec carries every prop, SANs rendered as the API map, no undo provisioner', () => {
    const s = stack();
    reenroll({
      keystoreId: caseVariant(STORE),
      agentGuid: caseVariant(SYNTH_AGENT),
      jobProperties: { ProviderName: 'Microsoft Software Key Storage Provider', KeySize: 2048 },
      certificateAuthority: 'ca.example.test\\Example Issuing CA',
      enrollmentPatternId: 4,
      sans: [
        San.dns('web-01.example.test'),
        San.dns('*.web.example.test'),
        San.ip4('10.1.2.3'),
        San.ip6('2001:db8::10'),
        San.uri('spiffe://example.test/web'),
        San.rfc822('pki-team@example.test'),
        San.upn('svc-web@corp.example.test'),
        San.other('registeredid', '1.3.6.1.4.1.311.21.8'),
        San.other('Directory', 'CN=web,O="Key Example, Inc."'),
      ],
      additionalEnrollmentFields: { Department: 'IT' },
      metadata: { Owner: 'web-team' },
      overwrite: true,
      ownerRoleName: 'PKI Admins',
    }, s);
    const { carrier, spec } = specOf(s);
    expect(spec).toEqual({
      v: 1,
      operation: 'CertificateStoreReenrollment',
      stack: 'unit',
      wait: { mode: 'none' }, // the default policy, outside the replacement hash
      path: 'unit/rekey-web',
      keystoreId: STORE,
      agentGuid: SYNTH_AGENT,
      subjectName: base.subjectName,
      alias: 'web',
      jobProperties: { KeySize: 2048, ProviderName: 'Microsoft Software Key Storage Provider' },
      certificateAuthority: 'ca.example.test\\Example Issuing CA',
      enrollmentPatternId: 4,
      sans: {
        dns: ['web-01.example.test', '*.web.example.test'],
        ip4: ['10.1.2.3'],
        ip6: ['2001:db8::10'],
        uri: ['spiffe://example.test/web'],
        rfc822: ['pki-team@example.test'],
        ms_ntprincipalname: ['svc-web@corp.example.test'],
        registeredid: ['1.3.6.1.4.1.311.21.8'],
        directory: ['CN=web,O="Key Example, Inc."'],
      },
      additionalEnrollmentFields: { Department: 'IT' },
      metadata: { Owner: 'web-team' },
      overwrite: true,
      ownerRoleName: 'PKI Admins',
    });
    expect(carrier.provisioner).toHaveLength(1);
    expect(carrier.provisioner[0]['local-exec'].when).toBeUndefined();
  });

  test('certificateTemplate is accepted with a synth warning naming the construct path and enrollmentPatternId', () => {
    const s = stack();
    const c = reenroll({ certificateTemplate: 'WebServer' }, s);
    const warnings = c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data);
    expect(warnings).toEqual([expect.stringMatching(/^certificateTemplate is deprecated .*set enrollmentPatternId instead \(CertificateStoreReenrollment\)$/)]);
    expect(specOf(s).spec.certificateTemplate).toBe('WebServer');
    // No warning without it.
    const quiet = reenroll({ enrollmentPatternId: 2 });
    expect(quiet.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });

  test('ownerRoleId alone is fine; an empty SAN list sends no SANs', () => {
    const s = stack();
    reenroll({ ownerRoleId: 7, sans: [] }, s);
    const { spec } = specOf(s);
    expect(spec.ownerRoleId).toBe(7);
    expect(spec.sans).toBeUndefined();
  });
});
