import { webcrypto } from 'node:crypto';
// Must precede @peculiar/x509: its DI container (tsyringe) checks for Reflect metadata on load.
import './reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { assertBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';
import {
  encodeNodeIdExtensionValue,
  NODE_ID_EXTENSION_OID,
  NODE_ID_LENGTH,
  nodeIdToHex,
  readNodeIdFromCert,
} from './node-id-cert.js';

/**
 * The chain's own certificate authority: membership of a weft network is a certificate chain
 *
 *   chain CA (self-signed, pathLen 1) → organisation CA (pathLen 0) → node (end entity).
 *
 * Node-to-node TLS uses ECDSA P-256 keys whatever the chain's crypto suite is: TLS 1.3 (RFC 8446
 * §4.2.3) defines no secp256k1 or SM2 signature schemes, so the consensus key cannot sign the
 * handshake. The node certificate therefore *binds* the node's consensus public key (its 64-byte node
 * id) to its TLS key: in a private extension (`NODE_ID_EXTENSION_OID`) and, for people reading
 * certificates, as hex in the subject CN. See docs/p2p.md for the full layout.
 */

// @peculiar/x509 signs with WebCrypto; Node ships one, so no polyfill is needed.
x509.cryptoProvider.set(webcrypto);

// The node id binding (extension OID, reading it back) lives in node-id-cert.ts, which a running node
// loads without this module's certificate library.
export {
  isNodeCert,
  NODE_ID_EXTENSION_OID,
  NODE_ID_LENGTH,
  nodeIdFromHex,
  nodeIdToHex,
  readNodeIdFromCert,
  WEFT_OID_ARC,
} from './node-id-cert.js';

/** A certificate and the PKCS#8 private key of its subject, both PEM. */
export interface CertifiedKey {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CreateChainCaOptions {
  /** Shown in the CA's subject (`CN=<chainName> chain CA, O=<chainName>`); 1–64 characters. */
  chainName: string;
  /** Default 3650 (ten years). */
  validityDays?: number;
  /** Issue as of this time (default now); certificates are back-dated by `CLOCK_SKEW_MS`. */
  now?: Date;
}

export interface CreateOrgCertOptions {
  orgName: string;
  /** Default: until the chain CA expires. Never outlives its issuer. */
  validityDays?: number;
  now?: Date;
}

export interface CreateNodeCertOptions {
  /** Human name of the node, kept in the subject OU (`node0`, `bank-a-1`). */
  nodeName: string;
  /** The 64-byte node id: the node's consensus public key (x ‖ y). */
  consensusPublicKey: Uint8Array;
  /** Default: until the organisation certificate expires. Never outlives its issuer. */
  validityDays?: number;
  now?: Date;
}

/** Tolerated clock difference between consortium members: every certificate starts this far back. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_CA_VALIDITY_DAYS = 3650;
// RFC 5280 appendix A.1: ub-common-name = 64, ub-organization-name = 64, ub-organizational-unit-name = 64.
const MAX_NAME_LENGTH = 64;
const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** Creates the chain's self-signed root. Only ever one per network; keep its key offline. */
export async function createChainCa(options: CreateChainCaOptions): Promise<CertifiedKey> {
  const chainName = assertName(options.chainName, 'chainName');
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const name: x509.JsonName = [{ CN: [`${chainName} chain CA`] }, { O: [chainName] }];
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityDaysToMs(options.validityDays ?? DEFAULT_CA_VALIDITY_DAYS)),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      // RFC 5280 §4.2.1.9: a CA certificate is marked critical cA=TRUE; pathLen 1 lets it certify
      // organisation CAs that in turn certify only end entities.
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** The chain CA certifies one organisation; the organisation then certifies its own nodes. */
export async function createOrgCert(ca: CertifiedKey, options: CreateOrgCertOptions): Promise<CertifiedKey> {
  const orgName = assertName(options.orgName, 'orgName');
  const issuer = await loadIssuer(ca, 'chain CA', 1);
  const chainName = firstField(issuer.cert.subjectName, 'O') ?? orgName;
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ CN: [orgName] }, { O: [orgName] }, { OU: [`${chainName} member`] }],
    issuer: issuer.cert.subjectName,
    ...validityWithin(issuer.cert, options.validityDays, options.now),
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert.publicKey),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * An organisation certifies one of its nodes: a P-256 TLS key bound to the node's consensus key.
 * The certificate is usable as both TLS server and TLS client (RFC 5280 §4.2.1.12), as every node
 * both listens and dials.
 */
export async function createNodeCert(
  org: CertifiedKey,
  options: CreateNodeCertOptions,
): Promise<CertifiedKey> {
  const nodeName = assertName(options.nodeName, 'nodeName');
  assertBytes(options.consensusPublicKey, NODE_ID_LENGTH, 'consensusPublicKey');
  const issuer = await loadIssuer(org, 'organisation', 0);
  const orgName = firstField(issuer.cert.subjectName, 'O') ?? firstField(issuer.cert.subjectName, 'CN') ?? '';
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    // 128 hex digits exceed RFC 5280's ub-common-name (64). Node/OpenSSL accept it when verifying;
    // the extension, not the CN, is what weft trusts.
    subject: [{ CN: [nodeIdToHex(options.consensusPublicKey)] }, { O: [orgName] }, { OU: [nodeName] }],
    issuer: issuer.cert.subjectName,
    ...validityWithin(issuer.cert, options.validityDays, options.now),
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // TLS 1.3 with ECDHE uses the certificate key only to sign CertificateVerify (RFC 8446 §4.4.3).
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert.publicKey),
      new x509.Extension(
        NODE_ID_EXTENSION_OID,
        false,
        encodeNodeIdExtensionValue(options.consensusPublicKey),
      ),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * Checks offline what TLS checks online: `leaf` is signed by `org`, which is signed by `ca`, all
 * three valid at `at` (default now), the CA roles as issued by this module, and the leaf a node
 * certificate. For `weft init` and operators; returns the node id.
 */
export async function verifyNodeCertChain(params: {
  certPem: string;
  orgCertPem: string;
  caCertPem: string;
  at?: Date;
}): Promise<Uint8Array> {
  const at = params.at ?? new Date();
  const leaf = parseCertificate(params.certPem);
  const org = parseCertificate(params.orgCertPem);
  const ca = parseCertificate(params.caCertPem);
  const links: [x509.X509Certificate, x509.X509Certificate, string][] = [
    [leaf, org, 'node certificate'],
    [org, ca, 'organisation certificate'],
    [ca, ca, 'chain CA certificate'],
  ];
  for (const [subject, issuer, what] of links) {
    const ok = await subject.verify({ publicKey: issuer.publicKey, date: at });
    if (!ok || subject.issuer !== issuer.subject) {
      throw new WeftError('INVALID_SIGNATURE', `${what} is not validly signed by its issuer or is expired`);
    }
  }
  assertCaRole(ca, 1, 'chain CA');
  assertCaRole(org, 0, 'organisation');
  return readNodeIdFromCert(params.certPem);
}

// ---------------------------------------------------------------------------------------------

function parseCertificate(certPemOrDer: string | Uint8Array): x509.X509Certificate {
  if (typeof certPemOrDer !== 'string' && !(certPemOrDer instanceof Uint8Array)) {
    throw new WeftError('INVALID_ARGUMENT', 'certificate must be PEM text or DER bytes');
  }
  try {
    return new x509.X509Certificate(certPemOrDer);
  } catch (cause) {
    throw new WeftError('INVALID_ENCODING', 'not a parsable X.509 certificate', { cause });
  }
}

async function loadIssuer(
  issuer: CertifiedKey,
  role: string,
  pathLength: number,
): Promise<{ cert: x509.X509Certificate; key: webcrypto.CryptoKey }> {
  const cert = parseCertificate(issuer.certPem);
  assertCaRole(cert, pathLength, role);
  let key: webcrypto.CryptoKey;
  try {
    const der = x509.PemConverter.decodeFirst(issuer.keyPem);
    key = await webcrypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
  } catch (cause) {
    // The cause may quote key bytes: keep it off the message, and do not attach it.
    void cause;
    throw new WeftError('INVALID_KEY', `${role} key is not a PKCS#8 P-256 private key`);
  }
  // The key must be the certificate's: a mismatched pair would issue certificates nobody can verify.
  const probe = new Uint8Array(32);
  const signature = await webcrypto.subtle.sign(SIGNING, key, probe);
  const publicKey = await cert.publicKey.export(EC_KEY, ['verify']);
  if (!(await webcrypto.subtle.verify(SIGNING, publicKey, signature, probe))) {
    throw new WeftError('INVALID_KEY', `${role} key does not match its certificate`);
  }
  return { cert, key };
}

function assertCaRole(cert: x509.X509Certificate, pathLength: number, role: string): void {
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (constraints === null || !constraints.ca || constraints.pathLength !== pathLength) {
    throw new WeftError('INVALID_ARGUMENT', `certificate is not a weft ${role} certificate`);
  }
}

function validityWithin(
  issuer: x509.X509Certificate,
  validityDays: number | undefined,
  now: Date | undefined,
): { notBefore: Date; notAfter: Date } {
  const start = (now ?? new Date()).getTime();
  const notBefore = new Date(Math.max(start - CLOCK_SKEW_MS, issuer.notBefore.getTime()));
  const wanted =
    validityDays === undefined ? Number.POSITIVE_INFINITY : start + validityDaysToMs(validityDays);
  const notAfter = new Date(Math.min(wanted, issuer.notAfter.getTime()));
  if (notAfter.getTime() <= start) {
    throw new WeftError('INVALID_ARGUMENT', 'issuer certificate has expired');
  }
  return { notBefore, notAfter };
}

function validityDaysToMs(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 100 * 365) {
    throw new WeftError('INVALID_ARGUMENT', 'validityDays must be an integer from 1 to 36500');
  }
  return days * DAY_MS;
}

function assertName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new WeftError('INVALID_ARGUMENT', `${what} must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  // Control characters would make names ambiguous in logs and RFC 4514 string forms.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new WeftError('INVALID_ARGUMENT', `${what} must not contain control characters`);
  }
  return value;
}

function firstField(name: x509.Name, field: string): string | undefined {
  return name.getField(field)[0];
}

function randomSerialNumber(): string {
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets, unique per issuer. 16 random bytes
  // with the top bit cleared (positive) and a non-zero first byte (canonical DER, no padding).
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return pemText(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

/** PEM files end with a newline, so that concatenating them (cert ‖ chain) stays valid PEM. */
function pemText(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
