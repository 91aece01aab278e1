// Errors of the SDK: every failure carries the server's stable `code`.

/** Codes after which a session cannot continue: the user must log in again. */
export const FINAL_CODES: ReadonlySet<string> = new Set([
  'invalid_token',
  'session_revoked',
  'unknown_user',
  'invalid_refresh_token',
]);

/**
 * An error from the auth-service (HTTP) or the gateway (ack or handshake).
 * `code` is the stable machine-readable code (`invalid_credentials`,
 * `not_in_room`, `timeout`, `network_error`, ...); `status` is the HTTP
 * status when the error came from HTTP.
 */
export class GatehouseError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** HTTP status, when the error came from the auth-service. */
  readonly status?: number;

  /** An error with `code`, a human `message` and an optional HTTP `status`. */
  constructor(code: string, message?: string, status?: number) {
    super(message ?? code);
    this.name = 'GatehouseError';
    this.code = code;
    this.status = status;
  }

  /** Whether retrying later can succeed (network trouble, 5xx, rate limits). */
  get retryable(): boolean {
    return (
      this.code === 'network_error' ||
      this.code === 'rate_limited' ||
      this.code === 'unavailable' ||
      this.code === 'auth_unavailable' ||
      (this.status !== undefined && this.status >= 500)
    );
  }
}
