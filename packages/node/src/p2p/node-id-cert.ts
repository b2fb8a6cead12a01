import { X509Certificate } from 'node:crypto';
import { assertBytes, bytesToHex, equalBytes } from '@weft/crypto/bytes';
import { WeftError } from '@weft/crypto/errors';

/**
 * The part of the chain's certificates a running node needs: reading the node id a peer's TLS
 * certificate binds (after TLS has verified its chain to the chain CA). Kept apart from `ca.ts`, which
 * issues certificates with @peculiar/x509 (≈ 60 modules, ≈ 0.1 s to load), so that a starting node
 * does not load that library: certificates are parsed by Node's own X509Certificate (OpenSSL), and
 * the two fields weft reads — the node id extension and the subject CN — by the small DER reader
 * below (ITU-T X.690 §8, §10; the certificate layout of RFC 5280 §4.1).
 */

/**
 * weft's private OID arc, under the IANA Private Enterprise arc 1.3.6.1.4.1 (RFC 1155 `private`).
 * PROVISIONAL: 999999 is not (yet) a registered enterprise number; register one with IANA (free) and
 * change this constant before production — existing node certificates must then be re-issued.
 * Why not a registration-free 2.25.<UUID> arc (ITU-T X.667): @peculiar/x509 re-parses extensions
 * through asn1js, which cannot round-trip an arc above 2^53 and silently wrote `2.25` (measured).
 */
export const WEFT_OID_ARC = '1.3.6.1.4.1.999999';
/**
 * Node id extension: non-critical, extnValue = DER `OCTET STRING (SIZE(64))` holding the node's
 * consensus public key (x ‖ y, as `CryptoSuite.publicKeyFromPrivate` returns it).
 */
export const NODE_ID_EXTENSION_OID = `${WEFT_OID_ARC}.1`;
export const NODE_ID_LENGTH = 64;

/**
 * Reads the node id out of a node certificate (PEM text or DER bytes). Throws INVALID_ENCODING when
 * the certificate cannot be parsed, has no (or a malformed) node id extension, or its CN disagrees.
 * Does not verify the signature chain: TLS does that, against the chain CA only.
 */
export function readNodeIdFromCert(certPemOrDer: string | Uint8Array): Uint8Array {
  const der = certificateDer(certPemOrDer);
  const { extensions, subjectCommonNames } = readCertificateFields(der);
  const values = extensions.filter((ext) => equalBytes(ext.oid, NODE_ID_OID_DER)).map((ext) => ext.value);
  if (values.length !== 1) {
    throw new WeftError('INVALID_ENCODING', 'certificate must carry exactly one weft node id extension', {
      details: { found: values.length },
    });
  }
  const nodeId = decodeNodeIdExtensionValue(values[0] as Uint8Array);
  if (subjectCommonNames.length !== 1 || subjectCommonNames[0] !== nodeIdToHex(nodeId)) {
    throw new WeftError('INVALID_ENCODING', 'certificate subject CN does not match its node id extension');
  }
  return nodeId;
}

/** Whether a certificate carries a node id (i.e. is a node's, not an organisation's or the CA's). */
export function isNodeCert(certPemOrDer: string | Uint8Array): boolean {
  try {
    readNodeIdFromCert(certPemOrDer);
    return true;
  } catch {
    return false;
  }
}

/** Lower-case hex without 0x, the form node ids take in CNs, logs, and maps (as in FISCO BCOS). */
export function nodeIdToHex(nodeId: Uint8Array): string {
  assertBytes(nodeId, NODE_ID_LENGTH, 'node id');
  return bytesToHex(nodeId).slice(2);
}

export function nodeIdFromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^(0x)?[0-9a-f]{128}$/i.test(hex)) {
    throw new WeftError('INVALID_HEX', 'node id must be 128 hex digits');
  }
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/i, ''), 'hex'));
}

/** The extension's DER value: OCTET STRING, short-form length 64, the id (X.690 §8.7, §10.1). */
export function encodeNodeIdExtensionValue(nodeId: Uint8Array): Uint8Array {
  assertBytes(nodeId, NODE_ID_LENGTH, 'node id');
  const out = new Uint8Array(2 + NODE_ID_LENGTH);
  out[0] = TAG_OCTET_STRING;
  out[1] = NODE_ID_LENGTH;
  out.set(nodeId, 2);
  return out;
}

function decodeNodeIdExtensionValue(value: Uint8Array): Uint8Array {
  if (value.length !== 2 + NODE_ID_LENGTH || value[0] !== TAG_OCTET_STRING || value[1] !== NODE_ID_LENGTH) {
    throw new WeftError('INVALID_ENCODING', 'node id extension must be a DER OCTET STRING of 64 bytes', {
      details: { length: value.length },
    });
  }
  return value.slice(2);
}

// ------------------------------------------------------------------------------- DER reading

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_TELETEX_STRING = 0x14;
const TAG_IA5_STRING = 0x16;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_VERSION = 0xa0; // [0] EXPLICIT Version
const TAG_ISSUER_UID = 0x81; // [1] IMPLICIT UniqueIdentifier
const TAG_SUBJECT_UID = 0x82; // [2] IMPLICIT UniqueIdentifier
const TAG_EXTENSIONS = 0xa3; // [3] EXPLICIT Extensions

/** DER contents of an OBJECT IDENTIFIER (X.690 §8.19: first two arcs as 40·a + b, base-128 arcs). */
export function oidToDer(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new WeftError('INVALID_ARGUMENT', `not an OID: ${dotted}`);
    return BigInt(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n || (first < 2n && second > 39n)) {
    throw new WeftError('INVALID_ARGUMENT', `not an OID: ${dotted}`);
  }
  const out: number[] = [];
  for (let arc of [first * 40n + second, ...rest]) {
    const groups = [Number(arc & 0x7fn)];
    for (arc >>= 7n; arc > 0n; arc >>= 7n) groups.unshift(Number(arc & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return Uint8Array.from(out);
}

const NODE_ID_OID_DER = oidToDer(NODE_ID_EXTENSION_OID);
const COMMON_NAME_OID_DER = oidToDer('2.5.4.3');

interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

function malformed(what: string): WeftError {
  return new WeftError('INVALID_ENCODING', `certificate is not valid DER: ${what}`);
}

/** One DER element at `offset` of `bytes`: low tag numbers only, definite minimal lengths (§10.1). */
function readTlv(bytes: Uint8Array, offset: number): Tlv {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw malformed('truncated element');
  if ((tag & 0x1f) === 0x1f) throw malformed('high tag number');
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    // Indefinite lengths (0x80) are BER only; a certificate never needs more than 4 length bytes.
    if (count === 0 || count > 4) throw malformed('unsupported length form');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = bytes[start + i];
      if (byte === undefined) throw malformed('truncated length');
      if (i === 0 && byte === 0) throw malformed('non-minimal length');
      length = length * 256 + byte;
    }
    if (length < 0x80) throw malformed('non-minimal length');
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw malformed('element runs past its container');
  return { tag, value: bytes.subarray(start, end), end };
}

/** The elements of a constructed value, in order. */
function readChildren(value: Uint8Array): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = 0; offset < value.length; ) {
    const child = readTlv(value, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv === undefined || tlv.tag !== tag) throw malformed(`expected ${what}`);
  return tlv;
}

function certificateDer(certPemOrDer: string | Uint8Array): Uint8Array {
  if (typeof certPemOrDer !== 'string' && !(certPemOrDer instanceof Uint8Array)) {
    throw new WeftError('INVALID_ARGUMENT', 'certificate must be PEM text or DER bytes');
  }
  try {
    // OpenSSL parses the whole certificate (PEM or DER) first: anything it refuses is refused here.
    return new Uint8Array(new X509Certificate(certPemOrDer).raw);
  } catch (cause) {
    throw new WeftError('INVALID_ENCODING', 'not a parsable X.509 certificate', { cause });
  }
}

interface CertificateFields {
  readonly extensions: { readonly oid: Uint8Array; readonly value: Uint8Array }[];
  readonly subjectCommonNames: string[];
}

/** The extensions (OID, extnValue) and subject CNs of a DER certificate (RFC 5280 §4.1). */
function readCertificateFields(der: Uint8Array): CertificateFields {
  const certificate = readTlv(der, 0);
  if (certificate.tag !== TAG_SEQUENCE || certificate.end !== der.length) throw malformed('certificate');
  const tbs = readChildren(
    expectTag(readChildren(certificate.value)[0], TAG_SEQUENCE, 'tbsCertificate').value,
  );
  let i = tbs[0]?.tag === TAG_VERSION ? 1 : 0;
  expectTag(tbs[i++], TAG_INTEGER, 'serial number');
  expectTag(tbs[i++], TAG_SEQUENCE, 'signature algorithm');
  expectTag(tbs[i++], TAG_SEQUENCE, 'issuer');
  expectTag(tbs[i++], TAG_SEQUENCE, 'validity');
  const subject = expectTag(tbs[i++], TAG_SEQUENCE, 'subject');
  expectTag(tbs[i++], TAG_SEQUENCE, 'subject public key info');
  if (tbs[i]?.tag === TAG_ISSUER_UID) i++;
  if (tbs[i]?.tag === TAG_SUBJECT_UID) i++;
  const extensions: CertificateFields['extensions'] = [];
  if (tbs[i]?.tag === TAG_EXTENSIONS) {
    const list = readChildren((tbs[i] as Tlv).value);
    if (list.length !== 1) throw malformed('extensions');
    for (const extension of readChildren(expectTag(list[0], TAG_SEQUENCE, 'extensions').value)) {
      const fields = readChildren(expectTag(extension, TAG_SEQUENCE, 'extension').value);
      const oid = expectTag(fields[0], TAG_OID, 'extension id');
      const valueAt = fields[1]?.tag === TAG_BOOLEAN ? 2 : 1;
      const value = expectTag(fields[valueAt], TAG_OCTET_STRING, 'extension value');
      if (fields.length !== valueAt + 1) throw malformed('extension');
      extensions.push({ oid: oid.value, value: value.value });
    }
    i++;
  }
  if (i !== tbs.length) throw malformed('tbsCertificate');
  return { extensions, subjectCommonNames: commonNames(subject.value) };
}

const CN_STRING_TAGS: ReadonlySet<number> = new Set([
  TAG_UTF8_STRING,
  TAG_PRINTABLE_STRING,
  TAG_TELETEX_STRING,
  TAG_IA5_STRING,
]);

/** Every CN in a Name: SEQUENCE OF SET OF AttributeTypeAndValue (RFC 5280 §4.1.2.4). */
function commonNames(name: Uint8Array): string[] {
  const names: string[] = [];
  for (const rdn of readChildren(name)) {
    for (const attribute of readChildren(expectTag(rdn, TAG_SET, 'relative distinguished name').value)) {
      const [type, value] = readChildren(expectTag(attribute, TAG_SEQUENCE, 'attribute').value);
      if (!equalBytes(expectTag(type, TAG_OID, 'attribute type').value, COMMON_NAME_OID_DER)) continue;
      // The DirectoryString choices that hold a node id's hex as plain ASCII (RFC 5280 §4.1.2.4 allows
      // teletexString too; @peculiar/x509, which weft used before, reads it the same way), and IA5String.
      if (value === undefined || !CN_STRING_TAGS.has(value.tag)) throw malformed('common name');
      names.push(Buffer.from(value.value).toString('utf8'));
    }
  }
  return names;
}
