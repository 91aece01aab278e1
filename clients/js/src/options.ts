// Options and state types of the Gatehouse client.

import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { BackoffOptions } from './backoff.js';
import type { Session } from './session.js';

/** Connection states reported by `gh.on('state', fn)`. */
export type ConnectionState = 'connecting' | 'connected' | 'refreshing' | 'reconnecting' | 'unauthorized' | 'closed';

/** Extra detail with a state change: the code that caused it, if any. */
export interface StateInfo {
  /** Stable code (`session_revoked`, `auth_unavailable`, ...). */
  code?: string;
}

/** Options of `createGatehouse`. */
export interface GatehouseOptions {
  /** Base URL of the auth-service (`/auth/*`), e.g. `location.origin`. */
  authUrl: string;
  /** URL of the realtime gateway (socket.io), e.g. `location.origin`. */
  gatewayUrl: string;
  /** Open the socket after `login` (default true). */
  autoConnect?: boolean;
  /** A session saved earlier (see `gh.session`). */
  session?: Session;
  /** Retry timing after retryable failures. */
  backoff?: BackoffOptions;
  /** How long to wait for an event's ack (default 10 s). */
  ackTimeoutMs?: number;
  /** HTTP request deadline (default 10 s). */
  httpTimeoutMs?: number;
  /** Passed to socket.io-client's `io()` (the SDK owns `auth` and `autoConnect`). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** `fetch` implementation (default the global one). */
  fetch?: typeof fetch;
}
