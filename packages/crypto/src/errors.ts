/**
 * The one error base class of weft. Every error a weft package throws on purpose is a `WeftError`
 * with a typed `code`, so callers branch on codes and never on message text. Protocol errors also
 * say whether the peer (or client) that caused them should be penalised.
 */
export type WeftErrorCode =
  // bytes and encodings
  | 'INVALID_LENGTH'
  | 'INVALID_ENCODING'
  | 'INVALID_HEX'
  | 'INVALID_ARGUMENT'
  // cryptography
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE'
  | 'INVALID_PROOF'
  | 'INVALID_POINT'
  | 'INVALID_SCALAR'
  | 'DECRYPTION_FAILED'
  // protocol
  | 'INVALID_TRANSACTION'
  | 'WRONG_CHAIN'
  | 'REPLAYED_TRANSACTION'
  | 'NONCE_TOO_LOW'
  | 'TX_POOL_FULL'
  | 'TX_TOO_LARGE'
  | 'GAS_LIMIT_EXCEEDED'
  | 'SENDER_NOT_ALLOWED'
  | 'ALREADY_KNOWN'
  | 'INVALID_BLOCK'
  | 'INVALID_MESSAGE'
  | 'NOT_FOUND'
  | 'STORAGE_ERROR'
  | 'EXECUTION_ERROR'
  | 'CONFIG_ERROR'
  | 'RPC_ERROR'
  | 'TIMEOUT'
  | 'UNSUPPORTED';

export interface WeftErrorOptions {
  /** True when the error was caused by a remote party that sent something invalid. */
  penalise?: boolean;
  /** Structured, non-secret details for logs and RPC error `data`. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class WeftError extends Error {
  override readonly name: string = 'WeftError';
  readonly code: WeftErrorCode;
  readonly penalise: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: WeftErrorCode, message: string, options: WeftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.penalise = options.penalise ?? false;
    this.details = options.details;
  }

  toJSON(): { code: WeftErrorCode; message: string; penalise: boolean; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      penalise: this.penalise,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isWeftError(value: unknown, code?: WeftErrorCode): value is WeftError {
  return value instanceof WeftError && (code === undefined || value.code === code);
}
