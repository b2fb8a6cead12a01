import { randomBytes, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { assertBytes } from '@weft/crypto/bytes';
import { isWeftError, WeftError } from '@weft/crypto/errors';
import {
  createFrameDecoder,
  createMessageTypeRegistry,
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  type FrameDecoder,
  MessageType,
  type MessageTypeRegistry,
  type MessageTypeSpec,
} from './frame.js';
import { NODE_ID_LENGTH, nodeIdFromHex, nodeIdToHex, readNodeIdFromCert } from './node-id-cert.js';

/**
 * weft's node-to-node transport: framed messages over mutual TLS 1.3 between members of one chain.
 *
 * Who may talk is decided three times over, on every connection, in both directions:
 *  1. TLS (OpenSSL) verifies the peer's chain against the chain CA alone (`ca`), with
 *     `requestCert` + `rejectUnauthorized`: a certificate from another CA, or none, fails the handshake;
 *  2. we check the chain is exactly node → organisation → chain CA and read the node id out of the
 *     leaf (`readNodeIdFromCert`);
 *  3. the caller's `isAdmitted(nodeId)` — the chain's current sealer/observer list — says yes.
 * Only then does each side send its first frame; a connection becomes a *peer* when the other side's
 * first frame arrives, which proves the other side accepted us too (in TLS 1.3 the client finishes
 * its handshake before the server has judged the client's certificate).
 *
 * Everything a peer can do wrong costs it score (`penalise`); past a threshold it is disconnected
 * and banned for a while. Nothing a remote party sends — before or after the handshake — may throw
 * out of this module: every socket carries an error listener from its first moment.
 */

/** A node id as lower-case hex without 0x (128 digits): the key of every peer map and log line. */
export type NodeIdHex = string;

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface P2pTlsOptions {
  /** This node's certificate (PEM), as `createNodeCert` made it. */
  certPem: string;
  /** PKCS#8 PEM private key of `certPem`. */
  keyPem: string;
  /** The chain CA certificate: the only trust anchor. */
  caPem: string;
  /** Intermediate certificates sent after `certPem`: the organisation certificate. */
  chainPem?: string;
}

export interface P2pLimits {
  /** Largest frame accepted (header included). Default 16 MiB, enough for a full block. */
  maxFrameBytes: number;
  /** Per peer, token bucket refilled at this rate with one second of burst. Default 10,000. */
  messagesPerSecond: number;
  /** Per peer; the burst is max(one second, one largest frame). Default 64 MiB/s. */
  bytesPerSecond: number;
  /** Established peers at once (both directions). Default 64. */
  maxPeers: number;
  /** TCP connections still in their TLS handshake at once; more are refused by the kernel queue. Default 32. */
  maxPendingHandshakes: number;
  /** Bytes queued for one slow peer before further sends to it are dropped. Default 64 MiB. */
  maxSendBufferBytes: number;
}

export interface P2pTimeouts {
  /** TCP connect + TLS handshake + first frame. Default 10 s. */
  handshakeMs: number;
  /** A PING goes out when nothing was sent for this long. Default 5 s. */
  pingIntervalMs: number;
  /** A peer that sent nothing (not even a PONG) for this long is dropped. Default 20 s. */
  idleTimeoutMs: number;
  /** Reconnect back-off, doubling from min to max, ±20% jitter. Defaults 250 ms and 30 s. */
  dialBackoffMinMs: number;
  dialBackoffMaxMs: number;
}

export type PenaltySeverity = 'low' | 'medium' | 'high' | 'fatal';

export interface P2pScoring {
  /** Score at which a peer is disconnected and banned. Default 100. */
  banThreshold: number;
  /** Points forgiven per second of good behaviour. Default 1. */
  decayPerSecond: number;
  /** How long a ban lasts. Default 10 minutes. */
  banMs: number;
  /** Points per severity. Defaults: low 1, medium 10, high 40, fatal 100 (an immediate ban). */
  points: Record<PenaltySeverity, number>;
}

export interface P2pLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface CreateP2pNodeOptions {
  /** Interface to listen on; `127.0.0.1` for a local network. */
  listenHost: string;
  /** 0 picks an ephemeral port; read it back with `address()`. */
  listenPort: number;
  tls: P2pTlsOptions;
  /** This node's 64-byte id; must equal the node id in `tls.certPem`. */
  selfId: Uint8Array;
  /** Asked on every handshake, both directions: membership can change while the node runs. */
  isAdmitted(nodeId: Uint8Array): boolean;
  /** Addresses to keep dialling (a node's own address in the list is recognised and skipped). */
  peers?: readonly PeerAddress[];
  /** Application message types, 16–255; more can be added with `registerMessageType`. */
  messageTypes?: readonly MessageTypeSpec[];
  limits?: Partial<P2pLimits>;
  timeouts?: Partial<P2pTimeouts>;
  scoring?: Partial<Omit<P2pScoring, 'points'>> & { points?: Partial<Record<PenaltySeverity, number>> };
  logger?: P2pLogger;
}

export type ConnectionDirection = 'inbound' | 'outbound';

export interface PeerInfo {
  readonly id: NodeIdHex;
  readonly address: PeerAddress;
  readonly direction: ConnectionDirection;
  /** When the peer became established (ms since the epoch). */
  readonly since: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Inbound messages dropped by the rate limits. */
  readonly droppedIn: number;
  /** Bytes queued towards this peer and not yet handed to the kernel (back-pressure signal). */
  readonly sendBufferBytes: number;
  /** Current penalty score (decays over time). */
  readonly score: number;
}

export type PeerEvent =
  | { readonly kind: 'connected'; readonly peer: PeerInfo }
  | {
      readonly kind: 'disconnected';
      readonly id: NodeIdHex;
      readonly address: PeerAddress;
      readonly reason: string;
    };

export interface PenaltyEvent {
  readonly id: NodeIdHex;
  readonly severity: PenaltySeverity;
  readonly reason: string;
  /** Score after this penalty. */
  readonly score: number;
  readonly banned: boolean;
}

export interface BanInfo {
  readonly id: NodeIdHex;
  /** ms since the epoch. */
  readonly until: number;
  readonly reason: string;
}

export interface P2pEvents {
  /** An application message from an established, admitted peer, within its rate limits. */
  message: [from: NodeIdHex, type: number, payload: Uint8Array];
  peer: [event: PeerEvent];
  penalty: [event: PenaltyEvent];
}

export interface P2pNode extends EventEmitter<P2pEvents> {
  readonly selfId: NodeIdHex;
  /** The address actually bound (useful with `listenPort: 0`). */
  address(): PeerAddress;
  /** Adds an application message type (16–255) with its payload cap. */
  registerMessageType(spec: MessageTypeSpec): void;
  /**
   * Queues one message for one peer. False when the peer is not connected or its send buffer is
   * full (the message is dropped: consensus and sync retry on their own). Throws INVALID_ARGUMENT
   * for an unregistered type or a payload over its cap — the peer would ban us for it.
   */
  send(to: NodeIdHex | Uint8Array, type: number, payload: Uint8Array): boolean;
  /** Sends to every established peer; returns how many accepted it. */
  broadcast(type: number, payload: Uint8Array, options?: { except?: readonly NodeIdHex[] }): number;
  peers(): PeerInfo[];
  /** Adds points to a peer's score (for example after it sent an invalid block); bans past the threshold. */
  penalise(peer: NodeIdHex | Uint8Array, severity: PenaltySeverity, reason: string): void;
  bans(): BanInfo[];
  /** Asks `isAdmitted` again for every peer and drops those no longer admitted; returns how many. */
  recheckAdmission(): number;
  /** Starts dialling one more address (idempotent). */
  addPeerAddress(address: PeerAddress): void;
  /** Stops dialling an address; an established connection stays until it ends. */
  removePeerAddress(address: PeerAddress): void;
  /** Stops listening and dialling and closes every connection. */
  close(): Promise<void>;
}

export const DEFAULT_P2P_LIMITS: Readonly<P2pLimits> = Object.freeze({
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  messagesPerSecond: 10_000,
  bytesPerSecond: 64 * 1024 * 1024,
  maxPeers: 64,
  maxPendingHandshakes: 32,
  maxSendBufferBytes: 64 * 1024 * 1024,
});

export const DEFAULT_P2P_TIMEOUTS: Readonly<P2pTimeouts> = Object.freeze({
  handshakeMs: 10_000,
  pingIntervalMs: 5_000,
  idleTimeoutMs: 20_000,
  dialBackoffMinMs: 250,
  dialBackoffMaxMs: 30_000,
});

export const DEFAULT_P2P_SCORING: Readonly<P2pScoring> = Object.freeze({
  banThreshold: 100,
  decayPerSecond: 1,
  banMs: 10 * 60 * 1000,
  points: Object.freeze({ low: 1, medium: 10, high: 40, fatal: 100 }),
});

const silentLogger: P2pLogger = { debug() {}, info() {}, warn() {} };

/** Listens, starts dialling `peers`, and resolves once the listening socket is bound. */
export async function createP2pNode(options: CreateP2pNodeOptions): Promise<P2pNode> {
  const node = new WeftP2pNode(options);
  await node.listen(options.listenHost, options.listenPort);
  node.startDialling(options.peers ?? []);
  return node;
}

// ---------------------------------------------------------------------------------------------

class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  take(amount: number, now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens < amount) return false;
    this.tokens -= amount;
    return true;
  }
}

interface Connection {
  readonly socket: tls.TLSSocket;
  readonly id: NodeIdHex;
  readonly direction: ConnectionDirection;
  readonly remote: PeerAddress;
  readonly dialer: Dialer | undefined;
  readonly decoder: FrameDecoder;
  readonly messages: TokenBucket;
  readonly bytes: TokenBucket;
  /** Set when the other side's first frame arrived and the connection won any duplicate contest. */
  established: boolean;
  since: number;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  droppedIn: number;
  lastReceivedAt: number;
  lastSentAt: number;
  readyTimer: NodeJS.Timeout | undefined;
  closeReason: string | undefined;
}

interface Dialer {
  readonly address: PeerAddress;
  readonly key: string;
  /** Learned from the first successful handshake; lets us wait instead of dialling a connected peer. */
  knownId: NodeIdHex | undefined;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
  socket: tls.TLSSocket | undefined;
  /** The address turned out to be this node itself. */
  isSelf: boolean;
  stopped: boolean;
}

interface PenaltyRecord {
  score: number;
  updatedAt: number;
}

class WeftP2pNode extends EventEmitter<P2pEvents> implements P2pNode {
  readonly selfId: NodeIdHex;
  private readonly isAdmittedFn: (nodeId: Uint8Array) => boolean;
  private readonly limits: P2pLimits;
  private readonly timeouts: P2pTimeouts;
  private readonly scoring: P2pScoring;
  private readonly log: P2pLogger;
  private readonly registry: MessageTypeRegistry;
  private readonly caFingerprint: string;
  private readonly secureContext: tls.SecureContext;
  private readonly server: tls.Server;

  /** Established peers, one connection each. */
  private readonly established = new Map<NodeIdHex, Connection>();
  /** Every verified connection, established or not yet. */
  private readonly connections = new Set<Connection>();
  /** Raw inbound sockets, from TCP accept to close, so `close()` can end half-open handshakes. */
  private readonly rawSockets = new Set<Socket>();
  private readonly dialers = new Map<string, Dialer>();
  private readonly penalties = new Map<NodeIdHex, PenaltyRecord>();
  private readonly banned = new Map<NodeIdHex, BanInfo>();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private bound: PeerAddress | undefined;

  constructor(options: CreateP2pNodeOptions) {
    super();
    assertBytes(options.selfId, NODE_ID_LENGTH, 'selfId');
    if (typeof options.isAdmitted !== 'function') {
      throw new WeftError('CONFIG_ERROR', 'isAdmitted must be a function');
    }
    this.selfId = nodeIdToHex(options.selfId);
    this.isAdmittedFn = options.isAdmitted;
    this.limits = { ...DEFAULT_P2P_LIMITS, ...options.limits };
    this.timeouts = { ...DEFAULT_P2P_TIMEOUTS, ...options.timeouts };
    this.scoring = {
      ...DEFAULT_P2P_SCORING,
      ...options.scoring,
      points: { ...DEFAULT_P2P_SCORING.points, ...options.scoring?.points },
    };
    assertPositiveIntegers(this.limits as unknown as Record<string, number>, 'limits');
    assertPositiveIntegers(this.timeouts as unknown as Record<string, number>, 'timeouts');
    const { banThreshold, decayPerSecond, banMs, points } = this.scoring;
    if (
      ![banThreshold, decayPerSecond, banMs, ...Object.values(points)].every(
        (n) => Number.isFinite(n) && n >= 0,
      )
    ) {
      throw new WeftError('CONFIG_ERROR', 'scoring values must be non-negative numbers');
    }
    if (this.limits.maxFrameBytes < FRAME_HEADER_BYTES + 8) {
      throw new WeftError('CONFIG_ERROR', 'limits.maxFrameBytes is too small for a PING');
    }
    this.log = options.logger ?? silentLogger;
    this.registry = createMessageTypeRegistry(options.messageTypes ?? []);

    // Our own certificate must name us, or peers would admit (or ban) the wrong node.
    let certNodeId: Uint8Array;
    try {
      certNodeId = readNodeIdFromCert(options.tls.certPem);
    } catch (cause) {
      throw new WeftError('CONFIG_ERROR', 'tls.certPem is not a weft node certificate', { cause });
    }
    if (nodeIdToHex(certNodeId) !== this.selfId) {
      throw new WeftError('CONFIG_ERROR', 'tls.certPem belongs to a different node id than selfId');
    }
    const credentials = {
      cert: joinPem(options.tls.certPem, options.tls.chainPem),
      key: options.tls.keyPem,
      ca: options.tls.caPem,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    } as const;
    try {
      this.caFingerprint = new X509Certificate(options.tls.caPem).fingerprint256;
      // Built once for every dial (and to fail fast on bad PEM); the server builds its own from
      // the same credentials, as `tls.createServer` takes no ready-made context.
      this.secureContext = tls.createSecureContext(credentials);
    } catch {
      // OpenSSL's message can quote the PEM it choked on; the key must not reach a log.
      throw new WeftError('CONFIG_ERROR', 'invalid TLS certificate, chain, CA or key PEM');
    }

    this.server = tls.createServer({
      ...credentials,
      requestCert: true,
      rejectUnauthorized: true,
      // Bounds half-open and slowloris handshakes (reported via tlsClientError, destroyed there).
      handshakeTimeout: this.timeouts.handshakeMs,
    });
    // Established peers plus handshakes in flight; beyond that Node closes new sockets at accept.
    this.server.maxConnections = this.limits.maxPeers + this.limits.maxPendingHandshakes;
    this.server.on('connection', (raw: Socket) => this.onRawConnection(raw));
    this.server.on('secureConnection', (socket: tls.TLSSocket) =>
      this.onSecure(socket, 'inbound', undefined),
    );
    this.server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      // Node reports here, without closing the socket, a handshake timeout or a TLS error; and, as
      // a "socket hang up", a client certificate it refused (then `authorizationError` says why).
      this.logHandshakeFailure('inbound', addressOf(socket), error, socket.authorizationError);
      socket.destroy();
    });
    this.server.on('error', (error: Error) => {
      this.log.warn('p2p listener error', { code: errorCode(error) });
    });
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new WeftError('CONFIG_ERROR', `cannot listen on ${host}:${port}`, { cause: error }));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new WeftError('CONFIG_ERROR', 'listener has no TCP address'));
          return;
        }
        this.bound = { host: address.address, port: address.port };
        this.keepaliveTimer = setInterval(() => this.onKeepaliveTick(), this.keepaliveTickMs());
        this.keepaliveTimer.unref();
        this.log.info('p2p listening', { host: this.bound.host, port: this.bound.port, id: this.selfId });
        resolve();
      });
    });
  }

  startDialling(peers: readonly PeerAddress[]): void {
    for (const address of peers) this.addPeerAddress(address);
  }

  address(): PeerAddress {
    if (this.bound === undefined) throw new WeftError('UNSUPPORTED', 'p2p node is not listening');
    return this.bound;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    for (const dialer of this.dialers.values()) this.stopDialer(dialer);
    this.dialers.clear();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) this.disconnect(connection, 'node closing');
    for (const raw of this.rawSockets) raw.destroy();
    await serverClosed;
  }

  // ---- public API -----------------------------------------------------------------------------

  registerMessageType(spec: MessageTypeSpec): void {
    this.registry.register(spec);
  }

  send(to: NodeIdHex | Uint8Array, type: number, payload: Uint8Array): boolean {
    const frame = this.encodeOutgoing(type, payload);
    const connection = this.established.get(peerKey(to));
    return connection === undefined ? false : this.write(connection, frame);
  }

  broadcast(type: number, payload: Uint8Array, options: { except?: readonly NodeIdHex[] } = {}): number {
    const frame = this.encodeOutgoing(type, payload);
    const except = new Set(options.except ?? []);
    let sent = 0;
    for (const [id, connection] of this.established) {
      if (!except.has(id) && this.write(connection, frame)) sent += 1;
    }
    return sent;
  }

  peers(): PeerInfo[] {
    return [...this.established.values()].map((connection) => this.peerInfo(connection));
  }

  penalise(peer: NodeIdHex | Uint8Array, severity: PenaltySeverity, reason: string): void {
    const id = peerKey(peer);
    const points = this.scoring.points[severity];
    if (points === undefined) throw new WeftError('INVALID_ARGUMENT', 'unknown penalty severity');
    const score = this.currentScore(id) + points;
    this.penalties.set(id, { score, updatedAt: performance.now() });
    const banned = score >= this.scoring.banThreshold;
    const fields = { id, severity, reason, score };
    if (severity === 'low') this.log.debug('p2p peer penalised', fields);
    else this.log.warn('p2p peer penalised', fields);
    if (banned) this.ban(id, reason);
    this.emitSafely('penalty', { id, severity, reason, score, banned });
  }

  bans(): BanInfo[] {
    const now = Date.now();
    return [...this.banned.values()].filter((ban) => ban.until > now);
  }

  recheckAdmission(): number {
    let dropped = 0;
    for (const connection of [...this.connections]) {
      if (!this.admits(connection.id)) {
        this.log.warn('p2p peer no longer admitted', { id: connection.id });
        this.disconnect(connection, 'no longer admitted');
        dropped += 1;
      }
    }
    return dropped;
  }

  addPeerAddress(address: PeerAddress): void {
    if (this.closing) return;
    if (typeof address?.host !== 'string' || !Number.isInteger(address.port) || address.port <= 0) {
      throw new WeftError('INVALID_ARGUMENT', 'peer address needs a host and a port');
    }
    const key = addressKey(address);
    if (this.dialers.has(key)) return;
    const dialer: Dialer = {
      address: { host: address.host, port: address.port },
      key,
      knownId: undefined,
      attempts: 0,
      timer: undefined,
      socket: undefined,
      isSelf: false,
      stopped: false,
    };
    this.dialers.set(key, dialer);
    this.scheduleDial(dialer, 0);
  }

  removePeerAddress(address: PeerAddress): void {
    const dialer = this.dialers.get(addressKey(address));
    if (dialer === undefined) return;
    this.stopDialer(dialer);
    this.dialers.delete(dialer.key);
  }

  // ---- dialling -------------------------------------------------------------------------------

  private scheduleDial(dialer: Dialer, delayMs: number): void {
    if (dialer.stopped || this.closing || dialer.isSelf || dialer.timer !== undefined) return;
    dialer.timer = setTimeout(() => {
      dialer.timer = undefined;
      this.dial(dialer);
    }, delayMs);
    dialer.timer.unref();
  }

  private backoffMs(dialer: Dialer): number {
    const { dialBackoffMinMs, dialBackoffMaxMs } = this.timeouts;
    const base = Math.min(dialBackoffMaxMs, dialBackoffMinMs * 2 ** Math.min(dialer.attempts, 20));
    // Jitter keeps a restarted network from reconnecting in lock-step.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private dial(dialer: Dialer): void {
    if (dialer.stopped || this.closing || dialer.isSelf || dialer.socket !== undefined) return;
    if (dialer.knownId !== undefined) {
      // Already connected (perhaps it dialled us): wait until that connection ends.
      if (this.established.has(dialer.knownId)) return;
      const ban = this.banned.get(dialer.knownId);
      if (ban !== undefined && ban.until > Date.now()) {
        this.scheduleDial(dialer, ban.until - Date.now());
        return;
      }
    }
    dialer.attempts += 1;
    const socket = tls.connect({
      host: dialer.address.host,
      port: dialer.address.port,
      secureContext: this.secureContext,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      // A node is named by the node id in its certificate, not by a DNS name: identity is checked
      // in `onSecure` (chain shape, node id, admission) instead of against the host we dialled.
      checkServerIdentity: () => undefined,
    });
    dialer.socket = socket;
    const handshakeTimer = setTimeout(() => {
      socket.destroy(new WeftError('TIMEOUT', 'TLS handshake timed out'));
    }, this.timeouts.handshakeMs);
    handshakeTimer.unref();
    let secured = false;
    socket.on('error', (error: Error) => {
      if (!secured) this.logHandshakeFailure('outbound', dialer.address, error);
    });
    socket.once('secureConnect', () => {
      secured = true;
      clearTimeout(handshakeTimer);
      this.onSecure(socket, 'outbound', dialer);
    });
    socket.once('close', () => {
      clearTimeout(handshakeTimer);
      if (dialer.socket === socket) dialer.socket = undefined;
      this.scheduleDial(dialer, this.backoffMs(dialer));
    });
  }

  private stopDialer(dialer: Dialer): void {
    dialer.stopped = true;
    if (dialer.timer !== undefined) clearTimeout(dialer.timer);
    dialer.timer = undefined;
    // A connection that is already established is left alone; only an attempt in flight is cut.
    const socket = dialer.socket;
    if (socket !== undefined && ![...this.connections].some((c) => c.socket === socket)) socket.destroy();
  }

  /** Dialers waiting on a peer that just went away try again soon. */
  private wakeDialers(id: NodeIdHex): void {
    for (const dialer of this.dialers.values()) {
      if (dialer.knownId === id && dialer.socket === undefined) {
        dialer.attempts = 0;
        this.scheduleDial(dialer, this.backoffMs(dialer));
      }
    }
  }

  // ---- accepting ------------------------------------------------------------------------------

  private onRawConnection(raw: Socket): void {
    // Until TLS takes over, an error on the raw socket (reset by a scanner) must not go unheard.
    raw.on('error', () => {});
    if (this.closing) {
      raw.destroy();
      return;
    }
    this.rawSockets.add(raw);
    raw.once('close', () => this.rawSockets.delete(raw));
  }

  /** Both directions: TLS verified the chain; now check its shape, the node id and admission. */
  private onSecure(socket: tls.TLSSocket, direction: ConnectionDirection, dialer: Dialer | undefined): void {
    // From here on this socket's errors only record why it closed; `close` does the cleaning up.
    let accepted: Connection | undefined;
    socket.on('error', (error: Error) => {
      if (accepted !== undefined) accepted.closeReason ??= `socket error ${errorCode(error)}`;
    });
    const remote = addressOf(socket);
    const refuse = (reason: string, fields: Record<string, unknown> = {}): void => {
      this.log.warn('p2p connection refused', { direction, reason, ...remote, ...fields });
      socket.destroy();
    };
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (!socket.authorized || socket.getProtocol() !== 'TLSv1.3') {
      refuse('peer certificate not verified', { code: socket.authorizationError });
      return;
    }
    if (!this.isChainFromOurCa(socket)) {
      refuse('peer certificate chain is not node → organisation → chain CA');
      return;
    }
    let id: NodeIdHex;
    try {
      const raw = socket.getPeerX509Certificate()?.raw;
      if (raw === undefined) throw new WeftError('INVALID_ENCODING', 'no peer certificate');
      id = nodeIdToHex(readNodeIdFromCert(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)));
    } catch {
      refuse('peer certificate carries no valid node id');
      return;
    }
    if (dialer !== undefined) dialer.knownId = id;
    if (id === this.selfId) {
      if (dialer !== undefined) dialer.isSelf = true;
      this.log.debug('p2p dialled itself; address skipped', { ...remote });
      socket.destroy();
      return;
    }
    const ban = this.banned.get(id);
    if (ban !== undefined && ban.until > Date.now()) {
      refuse('peer is banned', { id });
      return;
    }
    if (!this.admits(id)) {
      refuse('peer node id is not admitted', { id });
      return;
    }

    const now = performance.now();
    const connection: Connection = {
      socket,
      id,
      direction,
      remote,
      dialer,
      decoder: createFrameDecoder({
        maxFrameBytes: this.limits.maxFrameBytes,
        payloadLimit: (type) => this.registry.get(type)?.maxPayloadBytes,
      }),
      messages: new TokenBucket(this.limits.messagesPerSecond, this.limits.messagesPerSecond, now),
      bytes: new TokenBucket(
        this.limits.bytesPerSecond,
        Math.max(this.limits.bytesPerSecond, this.limits.maxFrameBytes),
        now,
      ),
      established: false,
      since: 0,
      bytesIn: 0,
      bytesOut: 0,
      messagesIn: 0,
      messagesOut: 0,
      droppedIn: 0,
      lastReceivedAt: now,
      lastSentAt: now,
      readyTimer: undefined,
      closeReason: undefined,
    };
    accepted = connection;
    this.connections.add(connection);
    socket.on('data', (chunk: Buffer) => this.onData(connection, chunk));
    socket.once('close', () => this.onClose(connection));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.timeouts.pingIntervalMs);
    connection.readyTimer = setTimeout(() => {
      this.disconnect(connection, 'no first frame before the handshake timeout');
    }, this.timeouts.handshakeMs);
    connection.readyTimer.unref();
    // Our first frame tells the other side that we accepted it (see the module comment).
    this.sendPing(connection);
  }

  /**
   * Called on the other side's first frame. Exactly one connection per pair survives: when both
   * nodes dialled each other, both keep the one dialled by the smaller node id (each side knows
   * who dialled each connection, so both decide alike); between two from the same dialer the
   * newer wins, as the dialer only redials after it saw the old one fail.
   */
  private establish(connection: Connection): boolean {
    if (connection.readyTimer !== undefined) clearTimeout(connection.readyTimer);
    connection.readyTimer = undefined;
    const existing = this.established.get(connection.id);
    if (existing !== undefined && existing !== connection) {
      const dialledBy = (c: Connection): NodeIdHex => (c.direction === 'outbound' ? this.selfId : c.id);
      const keepNew =
        dialledBy(existing) === dialledBy(connection) ? true : dialledBy(connection) < dialledBy(existing);
      const loser = keepNew ? existing : connection;
      this.log.debug('p2p duplicate connection closed', { id: connection.id, kept: keepNew ? 'new' : 'old' });
      if (!keepNew) {
        this.disconnect(loser, 'duplicate connection');
        return false;
      }
      // Swap without a disconnected/connected pair of events: the peer never went away.
      loser.established = false;
      connection.established = true;
      connection.since = existing.since;
      this.established.set(connection.id, connection);
      this.disconnect(loser, 'duplicate connection');
      return true;
    }
    if (this.established.size >= this.limits.maxPeers) {
      this.log.info('p2p connection refused', { reason: 'too many peers', id: connection.id });
      this.disconnect(connection, 'too many peers');
      return false;
    }
    connection.established = true;
    connection.since = Date.now();
    this.established.set(connection.id, connection);
    if (connection.dialer !== undefined) connection.dialer.attempts = 0;
    this.log.info('p2p peer connected', {
      id: connection.id,
      direction: connection.direction,
      ...connection.remote,
    });
    this.emitSafely('peer', { kind: 'connected', peer: this.peerInfo(connection) });
    return true;
  }

  private onData(connection: Connection, chunk: Buffer): void {
    if (connection.socket.destroyed) return;
    connection.bytesIn += chunk.length;
    connection.lastReceivedAt = performance.now();
    let frames: ReturnType<FrameDecoder['push']>;
    try {
      frames = connection.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      // A bad header desynchronises the stream for good; the peer is authenticated, so it pays.
      const reason = isWeftError(error) ? String(error.details?.reason ?? error.code) : 'undecodable frame';
      this.penalise(connection.id, 'fatal', `protocol violation: ${reason}`);
      this.disconnect(connection, `protocol violation: ${reason}`);
      return;
    }
    for (const frame of frames) {
      if (connection.socket.destroyed) return;
      if (!connection.established && !this.establish(connection)) return;
      this.onFrame(connection, frame.type, frame.payload);
    }
  }

  private onFrame(connection: Connection, type: number, payload: Uint8Array): void {
    const now = performance.now();
    // Rate limits apply to every frame, control frames included; over them we drop and penalise.
    if (
      !connection.messages.take(1, now) ||
      !connection.bytes.take(FRAME_HEADER_BYTES + payload.length, now)
    ) {
      connection.droppedIn += 1;
      this.penalise(connection.id, 'low', 'rate limit exceeded');
      return;
    }
    connection.messagesIn += 1;
    if (type === MessageType.ping) {
      this.write(connection, encodeFrame(MessageType.pong, payload));
      return;
    }
    if (type === MessageType.pong) return;
    this.emitSafely('message', connection.id, type, payload);
  }

  private onClose(connection: Connection): void {
    if (connection.readyTimer !== undefined) clearTimeout(connection.readyTimer);
    this.connections.delete(connection);
    const reason = connection.closeReason ?? 'connection closed by peer';
    if (this.established.get(connection.id) !== connection) {
      this.log.debug('p2p connection closed before it was established', { id: connection.id, reason });
      return;
    }
    this.established.delete(connection.id);
    this.log.info('p2p peer disconnected', { id: connection.id, reason });
    this.emitSafely('peer', { kind: 'disconnected', id: connection.id, address: connection.remote, reason });
    this.wakeDialers(connection.id);
  }

  // ---- sending, keepalive ---------------------------------------------------------------------

  private encodeOutgoing(type: number, payload: Uint8Array): Uint8Array {
    assertBytes(payload, undefined, 'payload');
    const spec = this.registry.get(type);
    if (spec === undefined || type < 16) {
      throw new WeftError('INVALID_ARGUMENT', 'message type is not a registered application type', {
        details: { type },
      });
    }
    if (
      payload.length > spec.maxPayloadBytes ||
      FRAME_HEADER_BYTES + payload.length > this.limits.maxFrameBytes
    ) {
      throw new WeftError('INVALID_ARGUMENT', `payload too large for ${spec.name}`, {
        details: { type, length: payload.length, limit: spec.maxPayloadBytes },
      });
    }
    return encodeFrame(type, payload);
  }

  private write(connection: Connection, frame: Uint8Array): boolean {
    const { socket } = connection;
    if (socket.destroyed || !socket.writable) return false;
    if (socket.writableLength + frame.length > this.limits.maxSendBufferBytes) {
      this.log.debug('p2p send buffer full; message dropped', { id: connection.id });
      return false;
    }
    socket.write(frame);
    connection.bytesOut += frame.length;
    connection.messagesOut += 1;
    connection.lastSentAt = performance.now();
    return true;
  }

  private sendPing(connection: Connection): void {
    this.write(connection, encodeFrame(MessageType.ping, randomBytes(8)));
  }

  private keepaliveTickMs(): number {
    return Math.max(50, Math.min(this.timeouts.pingIntervalMs, this.timeouts.idleTimeoutMs) / 2);
  }

  private onKeepaliveTick(): void {
    const now = performance.now();
    for (const connection of [...this.connections]) {
      if (now - connection.lastReceivedAt > this.timeouts.idleTimeoutMs) {
        this.disconnect(connection, 'idle timeout');
      } else if (now - connection.lastSentAt >= this.timeouts.pingIntervalMs) {
        this.sendPing(connection);
      }
    }
    const wallNow = Date.now();
    for (const [id, ban] of this.banned) if (ban.until <= wallNow) this.banned.delete(id);
    for (const id of [...this.penalties.keys()]) if (this.currentScore(id) === 0) this.penalties.delete(id);
  }

  // ---- scoring, admission ---------------------------------------------------------------------

  private currentScore(id: NodeIdHex): number {
    const record = this.penalties.get(id);
    if (record === undefined) return 0;
    const elapsedSeconds = (performance.now() - record.updatedAt) / 1000;
    return Math.max(0, record.score - elapsedSeconds * this.scoring.decayPerSecond);
  }

  private ban(id: NodeIdHex, reason: string): void {
    const until = Date.now() + this.scoring.banMs;
    this.banned.set(id, { id, until, reason });
    // The slate is wiped: after the ban the peer starts again from zero.
    this.penalties.delete(id);
    this.log.warn('p2p peer banned', { id, reason, until });
    for (const connection of [...this.connections]) {
      if (connection.id === id) this.disconnect(connection, `banned: ${reason}`);
    }
  }

  private admits(id: NodeIdHex): boolean {
    try {
      return this.isAdmittedFn(nodeIdFromHex(id)) === true;
    } catch (error) {
      this.log.warn('p2p isAdmitted threw; peer refused', { id, code: errorCode(error) });
      return false;
    }
  }

  /**
   * OpenSSL has verified signatures and CA flags up to our only trust anchor; this pins the shape
   * weft issues: leaf (not a CA) ← organisation ← the chain CA itself, nothing longer or shorter.
   */
  private isChainFromOurCa(socket: tls.TLSSocket): boolean {
    const leaf = socket.getPeerCertificate(true);
    if (leaf === null || typeof leaf !== 'object' || leaf.raw === undefined || leaf.ca) return false;
    const org = leaf.issuerCertificate;
    if (org === undefined || org === null || org.fingerprint256 === leaf.fingerprint256 || !org.ca)
      return false;
    const root = org.issuerCertificate;
    if (root === undefined || root === null || root.fingerprint256 === org.fingerprint256) return false;
    return root.fingerprint256 === this.caFingerprint;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private disconnect(connection: Connection, reason: string): void {
    connection.closeReason ??= reason;
    if (connection.readyTimer !== undefined) clearTimeout(connection.readyTimer);
    connection.readyTimer = undefined;
    connection.socket.destroy();
  }

  private peerInfo(connection: Connection): PeerInfo {
    return {
      id: connection.id,
      address: connection.remote,
      direction: connection.direction,
      since: connection.since,
      bytesIn: connection.bytesIn,
      bytesOut: connection.bytesOut,
      messagesIn: connection.messagesIn,
      messagesOut: connection.messagesOut,
      droppedIn: connection.droppedIn,
      sendBufferBytes: connection.socket.writableLength,
      score: this.currentScore(connection.id),
    };
  }

  private emitSafely<K extends keyof P2pEvents>(event: K, ...args: P2pEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: P2pEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      // A listener's bug must not take the transport down with it.
      this.log.warn('p2p event listener threw', { event, code: errorCode(error) });
    }
  }

  private logHandshakeFailure(
    direction: ConnectionDirection,
    remote: PeerAddress,
    error: Error,
    authorizationError?: unknown,
  ): void {
    // `authorizationError` is typed Error but Node stores OpenSSL's verify code string (or null).
    const code = typeof authorizationError === 'string' ? authorizationError : errorCode(error);
    // Certificate problems are worth an operator's attention; scanners and resets are not.
    const aboutCertificate = /CERT|ISSUER|VERIFY|SIGNATURE|ALERT/i.test(code);
    const log = aboutCertificate ? this.log.warn : this.log.debug;
    log.call(this.log, 'p2p TLS handshake failed', { direction, code, ...remote });
  }
}

function assertPositiveIntegers(values: Record<string, number>, what: string): void {
  for (const [key, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new WeftError('CONFIG_ERROR', `${what}.${key} must be a positive integer`, {
        details: { value },
      });
    }
  }
}

function peerKey(peer: NodeIdHex | Uint8Array): NodeIdHex {
  if (peer instanceof Uint8Array) return nodeIdToHex(peer);
  return nodeIdToHex(nodeIdFromHex(peer));
}

function addressKey(address: PeerAddress): string {
  return `${address.host}:${address.port}`;
}

function addressOf(socket: tls.TLSSocket | Socket): PeerAddress {
  return { host: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
}

function errorCode(error: unknown): string {
  if (isWeftError(error)) return error.code;
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'UNKNOWN';
}

function joinPem(certPem: string, chainPem: string | undefined): string {
  if (chainPem === undefined || chainPem.length === 0) return certPem;
  return `${certPem.trimEnd()}\n${chainPem.trimEnd()}\n`;
}
