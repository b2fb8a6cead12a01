import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
// Before @peculiar/x509, whose DI container needs Reflect metadata at load (see the module).
import '../src/p2p/reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { isWeftError, WeftError } from '@weft/crypto/errors';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CertifiedKey,
  createChainCa,
  createNodeCert,
  createOrgCert,
  isNodeCert,
  NODE_ID_EXTENSION_OID,
  nodeIdFromHex,
  nodeIdToHex,
  readNodeIdFromCert,
  verifyNodeCertChain,
} from '../src/p2p/ca.js';

let ca: CertifiedKey;
let org: CertifiedKey;
let node: CertifiedKey;
const nodeId = Uint8Array.from(randomBytes(64));

beforeAll(async () => {
  ca = await createChainCa({ chainName: 'weft-test' });
  org = await createOrgCert(ca, { orgName: 'Bank A' });
  node = await createNodeCert(org, { nodeName: 'node0', consensusPublicKey: nodeId });
});

/** Node's own X.509 (OpenSSL) as an independent check of what @peculiar/x509 wrote. */
function openssl(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

async function expectWeftError(promise: Promise<unknown>, code: WeftError['code']): Promise<WeftError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isWeftError(error, code)).toBe(true);
  return error as WeftError;
}

describe('chain CA → organisation → node', () => {
  it('issues a self-signed chain CA that may certify one level of organisation CAs', () => {
    const cert = openssl(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=weft-test chain CA\nO=weft-test');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    const parsed = new x509.X509Certificate(ca.certPem);
    const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.critical).toBe(true);
    expect(constraints?.pathLength).toBe(1);
    expect(parsed.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
  });

  it('writes keys as PKCS#8 PEM on P-256, matching their certificates', () => {
    for (const pair of [ca, org, node]) {
      expect(pair.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
      expect(pair.certPem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
      const key = createPrivateKey(pair.keyPem);
      expect(key.asymmetricKeyType).toBe('ec');
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      const fromKey = createPublicKey(key).export({ format: 'der', type: 'spki' });
      const fromCert = openssl(pair.certPem).publicKey.export({ format: 'der', type: 'spki' });
      expect(Buffer.compare(fromKey, fromCert)).toBe(0);
    }
  });

  it('chains node → organisation → CA as OpenSSL checks it', () => {
    const [caCert, orgCert, nodeCert] = [openssl(ca.certPem), openssl(org.certPem), openssl(node.certPem)];
    expect(orgCert.checkIssued(caCert)).toBe(true);
    expect(orgCert.verify(caCert.publicKey)).toBe(true);
    expect(orgCert.ca).toBe(true);
    expect(nodeCert.checkIssued(orgCert)).toBe(true);
    expect(nodeCert.verify(orgCert.publicKey)).toBe(true);
    expect(nodeCert.verify(caCert.publicKey)).toBe(false);
    expect(nodeCert.ca).toBe(false);
    expect(nodeCert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(nodeCert.subject).toBe(`CN=${nodeIdToHex(nodeId)}\nO=Bank A\nOU=node0`);
    expect(
      new x509.X509Certificate(org.certPem).getExtension(x509.BasicConstraintsExtension)?.pathLength,
    ).toBe(0);
  });

  it('binds the node id in a non-critical extension and the CN', () => {
    const parsed = new x509.X509Certificate(node.certPem);
    const ext = parsed.getExtension(NODE_ID_EXTENSION_OID);
    expect(ext?.critical).toBe(false);
    // extnValue = DER OCTET STRING (04 40 ‖ 64 bytes).
    expect(Buffer.from(ext?.value ?? new ArrayBuffer(0)).toString('hex')).toBe(`0440${nodeIdToHex(nodeId)}`);
    expect(readNodeIdFromCert(node.certPem)).toEqual(nodeId);
    expect(readNodeIdFromCert(new Uint8Array(openssl(node.certPem).raw))).toEqual(nodeId);
    expect(isNodeCert(node.certPem)).toBe(true);
    expect(isNodeCert(org.certPem)).toBe(false);
  });

  it('property: any 64-byte node id round-trips through a certificate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 64, maxLength: 64 }), async (id) => {
        const cert = await createNodeCert(org, { nodeName: 'n', consensusPublicKey: id });
        expect(readNodeIdFromCert(cert.certPem)).toEqual(id);
      }),
      { numRuns: 15 },
    );
  });

  it('verifies a chain offline and names the node', async () => {
    expect(
      await verifyNodeCertChain({ certPem: node.certPem, orgCertPem: org.certPem, caCertPem: ca.certPem }),
    ).toEqual(nodeId);
    const otherCa = await createChainCa({ chainName: 'other' });
    const otherOrg = await createOrgCert(otherCa, { orgName: 'Bank A' });
    await expectWeftError(
      verifyNodeCertChain({
        certPem: node.certPem,
        orgCertPem: otherOrg.certPem,
        caCertPem: otherCa.certPem,
      }),
      'INVALID_SIGNATURE',
    );
    await expectWeftError(
      verifyNodeCertChain({ certPem: node.certPem, orgCertPem: org.certPem, caCertPem: otherCa.certPem }),
      'INVALID_SIGNATURE',
    );
    const later = new Date(Date.now() + 20 * 365 * 24 * 3600 * 1000);
    await expectWeftError(
      verifyNodeCertChain({
        certPem: node.certPem,
        orgCertPem: org.certPem,
        caCertPem: ca.certPem,
        at: later,
      }),
      'INVALID_SIGNATURE',
    );
  });

  it('never lets a certificate outlive its issuer', async () => {
    const shortCa = await createChainCa({ chainName: 'short', validityDays: 10 });
    const longOrg = await createOrgCert(shortCa, { orgName: 'o', validityDays: 1000 });
    const caCert = openssl(shortCa.certPem);
    const orgCert = openssl(longOrg.certPem);
    expect(Date.parse(orgCert.validTo)).toBeLessThanOrEqual(Date.parse(caCert.validTo));
    const shortOrg = await createOrgCert(shortCa, { orgName: 'o', validityDays: 2 });
    expect(Date.parse(openssl(shortOrg.certPem).validTo)).toBeLessThan(Date.parse(caCert.validTo));
    // Issuing "as of" a time after the CA expired fails instead of producing a dead certificate.
    await expectWeftError(
      createOrgCert(shortCa, { orgName: 'o', now: new Date(Date.now() + 30 * 24 * 3600 * 1000) }),
      'INVALID_ARGUMENT',
    );
  });
});

describe('rejections', () => {
  it('refuses node ids of the wrong length or type', async () => {
    await expectWeftError(
      createNodeCert(org, { nodeName: 'n', consensusPublicKey: new Uint8Array(65) }),
      'INVALID_LENGTH',
    );
    await expectWeftError(
      createNodeCert(org, { nodeName: 'n', consensusPublicKey: new Uint8Array(33) }),
      'INVALID_LENGTH',
    );
    await expectWeftError(
      createNodeCert(org, { nodeName: 'n', consensusPublicKey: 'ab' as unknown as Uint8Array }),
      'INVALID_ARGUMENT',
    );
  });

  it('refuses empty, over-long and control-character names', async () => {
    await expectWeftError(createChainCa({ chainName: '' }), 'INVALID_ARGUMENT');
    await expectWeftError(createChainCa({ chainName: 'x'.repeat(65) }), 'INVALID_ARGUMENT');
    await expectWeftError(createOrgCert(ca, { orgName: 'bad\nname' }), 'INVALID_ARGUMENT');
    await expectWeftError(createChainCa({ chainName: 'c', validityDays: 0 }), 'INVALID_ARGUMENT');
    await expectWeftError(createChainCa({ chainName: 'c', validityDays: 1.5 }), 'INVALID_ARGUMENT');
  });

  it('refuses issuers in the wrong role: organisations come from the CA, nodes from organisations', async () => {
    await expectWeftError(createOrgCert(org, { orgName: 'sub' }), 'INVALID_ARGUMENT');
    await expectWeftError(
      createNodeCert(ca, { nodeName: 'n', consensusPublicKey: new Uint8Array(64) }),
      'INVALID_ARGUMENT',
    );
    await expectWeftError(
      createNodeCert(node, { nodeName: 'n', consensusPublicKey: new Uint8Array(64) }),
      'INVALID_ARGUMENT',
    );
  });

  it('refuses an issuer key that is not its certificate’s, without quoting the key', async () => {
    const error = await expectWeftError(
      createOrgCert({ certPem: ca.certPem, keyPem: org.keyPem }, { orgName: 'o' }),
      'INVALID_KEY',
    );
    const keyBody = org.keyPem.split('\n').slice(1, -2).join('');
    expect(error.message).not.toContain(keyBody.slice(0, 20));
    const garbage = await expectWeftError(
      createOrgCert(
        { certPem: ca.certPem, keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
        { orgName: 'o' },
      ),
      'INVALID_KEY',
    );
    expect(garbage.cause).toBeUndefined();
  });

  it('reads no node id from the CA, an organisation, garbage, or a certificate whose CN disagrees', async () => {
    expect(() => readNodeIdFromCert(ca.certPem)).toThrow(WeftError);
    expect(() => readNodeIdFromCert(org.certPem)).toThrow(/node id extension/);
    expect(() => readNodeIdFromCert('not a certificate')).toThrow(WeftError);
    expect(() => readNodeIdFromCert(Uint8Array.from(randomBytes(300)))).toThrow(WeftError);
    expect(() => readNodeIdFromCert(42 as unknown as string)).toThrow(WeftError);

    // Hand-made certificates: right extension with the wrong CN, and a malformed extension value.
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const make = (cn: string, value: Uint8Array) =>
      x509.X509CertificateGenerator.createSelfSigned({
        name: [{ CN: [cn] }],
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        extensions: [new x509.Extension(NODE_ID_EXTENSION_OID, false, value)],
      });
    const good = Uint8Array.from([0x04, 0x40, ...nodeId]);
    const wrongCn = await make(nodeIdToHex(new Uint8Array(64)), good);
    expect(() => readNodeIdFromCert(wrongCn.toString('pem'))).toThrow(/CN does not match/);
    const shortValue = await make(nodeIdToHex(nodeId), Uint8Array.from([0x04, 0x3f, ...nodeId.subarray(1)]));
    expect(() => readNodeIdFromCert(shortValue.toString('pem'))).toThrow(/OCTET STRING of 64 bytes/);
    const rightCn = await make(nodeIdToHex(nodeId), good);
    expect(readNodeIdFromCert(rightCn.toString('pem'))).toEqual(nodeId);
  });
});

describe('node id hex', () => {
  it('round-trips and rejects anything but 128 hex digits', () => {
    expect(nodeIdFromHex(nodeIdToHex(nodeId))).toEqual(nodeId);
    expect(nodeIdFromHex(`0x${nodeIdToHex(nodeId).toUpperCase()}`)).toEqual(nodeId);
    expect(() => nodeIdFromHex('ab')).toThrow(WeftError);
    expect(() => nodeIdFromHex(`${'g'.repeat(128)}`)).toThrow(WeftError);
    expect(() => nodeIdToHex(new Uint8Array(32))).toThrow(WeftError);
  });
});
