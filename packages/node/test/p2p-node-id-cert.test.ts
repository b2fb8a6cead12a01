import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
// Before @peculiar/x509, whose DI container needs Reflect metadata at load (see the module).
import '../src/p2p/reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { bytesToHex } from '@weft/crypto/bytes';
import { isWeftError } from '@weft/crypto/errors';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChainCa, createNodeCert, createOrgCert } from '../src/p2p/ca.js';
import {
  NODE_ID_EXTENSION_OID,
  NODE_ID_LENGTH,
  nodeIdToHex,
  oidToDer,
  readNodeIdFromCert,
} from '../src/p2p/node-id-cert.js';

/**
 * A running node reads a peer certificate's node id with its own small DER reader (node-id-cert.ts),
 * not with @peculiar/x509. Here @peculiar/x509 is the oracle: on real certificates and on thousands of
 * damaged ones, the reader must give the node id the library reads — or refuse with a WeftError where
 * the library finds none — and never throw anything else.
 */

/**
 * The node id as @peculiar/x509 reads it (what weft did before), null where it finds none, undefined
 * where the library cannot parse the certificate at all (then there is nothing to compare with).
 */
function oracleNodeId(der: Uint8Array): string | null | undefined {
  let cert: x509.X509Certificate;
  let found: x509.Extension[];
  try {
    cert = new x509.X509Certificate(der);
    // Parsed lazily: a damaged extension of another kind throws here.
    found = cert.extensions.filter((ext) => ext.type === NODE_ID_EXTENSION_OID);
    void cert.subjectName.toString();
  } catch {
    return undefined;
  }
  if (found.length !== 1) return null;
  const value = new Uint8Array((found[0] as x509.Extension).value);
  if (value.length !== 2 + NODE_ID_LENGTH || value[0] !== 0x04 || value[1] !== NODE_ID_LENGTH) return null;
  const id = value.slice(2);
  const cns = cert.subjectName.getField('CN');
  return cns.length === 1 && cns[0] === nodeIdToHex(id) ? bytesToHex(id) : null;
}

function parsesWithOpenssl(der: Uint8Array): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

function readOrNull(der: Uint8Array): string | null {
  try {
    return bytesToHex(readNodeIdFromCert(der));
  } catch (error) {
    if (!isWeftError(error)) throw error;
    return null;
  }
}

let nodeDer: Uint8Array;
const nodeId = Uint8Array.from(randomBytes(64));

beforeAll(async () => {
  const ca = await createChainCa({ chainName: 'weft-test' });
  const org = await createOrgCert(ca, { orgName: 'Bank A' });
  const node = await createNodeCert(org, { nodeName: 'node0', consensusPublicKey: nodeId });
  nodeDer = new Uint8Array(new X509Certificate(node.certPem).raw);
});

describe('node id certificate reader', () => {
  it('encodes object identifiers as X.690 §8.19 says', () => {
    // The example of X.690 §8.19.5 (2.999.3) and two well-known OIDs.
    expect(bytesToHex(oidToDer('2.999.3'))).toBe('0x883703');
    expect(bytesToHex(oidToDer('1.2.840.113549'))).toBe('0x2a864886f70d');
    expect(bytesToHex(oidToDer('2.5.4.3'))).toBe('0x550403');
    for (const bad of ['', '1', '3.1', '1.40', '1.2.x']) expect(() => oidToDer(bad)).toThrow(/not an OID/);
  });

  it('reads what @peculiar/x509 reads from a certificate weft issued', () => {
    expect(readNodeIdFromCert(nodeDer)).toEqual(nodeId);
    expect(oracleNodeId(nodeDer)).toBe(bytesToHex(nodeId));
  });

  it('agrees with @peculiar/x509 on hand-made certificates: other extensions, critical flags, CN types', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const value = Uint8Array.from([0x04, 0x40, ...nodeId]);
    const hex = nodeIdToHex(nodeId);
    const variants: Pick<x509.X509CertificateCreateSelfSignedParams, 'name' | 'extensions'>[] = [
      { name: [{ CN: [hex] }], extensions: [new x509.Extension(NODE_ID_EXTENSION_OID, true, value)] },
      {
        name: [{ O: ['Bank A'] }, { CN: [hex] }],
        extensions: [
          new x509.BasicConstraintsExtension(false),
          new x509.Extension(NODE_ID_EXTENSION_OID, false, value),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ],
      },
      // Two node id extensions, two CNs, none: refused by both.
      {
        name: [{ CN: [hex] }],
        extensions: [
          new x509.Extension(NODE_ID_EXTENSION_OID, false, value),
          new x509.Extension(NODE_ID_EXTENSION_OID, false, value),
        ],
      },
      { name: [{ CN: [hex, hex] }], extensions: [new x509.Extension(NODE_ID_EXTENSION_OID, false, value)] },
      { name: [{ CN: [hex] }] },
      // A CN as PrintableString rather than UTF8String.
      {
        name: new x509.Name([{ CN: [{ printableString: hex }] }]),
        extensions: [new x509.Extension(NODE_ID_EXTENSION_OID, false, value)],
      },
      // A CN as TeletexString (given as raw DER: tag 0x14, length 128), which the library reads as text too.
      {
        name: [{ CN: [`#148180${Buffer.from(hex).toString('hex')}`] }],
        extensions: [new x509.Extension(NODE_ID_EXTENSION_OID, false, value)],
      },
    ];
    const seen: (string | null)[] = [];
    for (const params of variants) {
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        ...params,
      });
      const der = new Uint8Array(cert.rawData);
      const expected = oracleNodeId(der);
      expect(expected).not.toBeUndefined();
      expect(readOrNull(der)).toBe(expected);
      seen.push(expected ?? null);
    }
    expect(seen).toEqual([
      bytesToHex(nodeId),
      bytesToHex(nodeId),
      null,
      null,
      null,
      bytesToHex(nodeId),
      bytesToHex(nodeId),
    ]);
  });

  it('on damaged certificates gives what @peculiar/x509 gives, or refuses with a WeftError', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          // Flip bits of one byte, anywhere.
          fc.record({
            kind: fc.constant('flip' as const),
            at: fc.nat(),
            mask: fc.integer({ min: 1, max: 255 }),
          }),
          // Cut the certificate short, or append bytes.
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
          fc.record({
            kind: fc.constant('append' as const),
            bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
          }),
        ),
        (damage) => {
          let der = nodeDer.slice();
          if (damage.kind === 'flip') {
            const at = damage.at % der.length;
            der[at] = (der[at] as number) ^ damage.mask;
          } else if (damage.kind === 'cut') der = der.subarray(0, damage.at % der.length);
          else der = Uint8Array.from([...der, ...damage.bytes]);
          const ours = readOrNull(der);
          // Node's OpenSSL parses first: what it refuses is refused; what it parses must read as the
          // library reads it.
          const expected = oracleNodeId(der);
          if (!parsesWithOpenssl(der)) expect(ours).toBeNull();
          else if (expected !== undefined) expect(ours).toBe(expected);
          if (ours !== null) accepted++;
        },
      ),
      { numRuns: 2000 },
    );
    // Most single-byte flips land in signature or key bytes, which leave the node id readable.
    expect(accepted).toBeGreaterThan(100);
  });
});
