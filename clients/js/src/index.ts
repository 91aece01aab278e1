// `@gatehouse/client`: log in to a Gatehouse auth-service and keep an
// authenticated socket.io connection to the realtime gateway alive across
// token expiry, refreshes, outages and revocations.

import { Gatehouse } from './gatehouse.js';
import type { GatehouseOptions } from './options.js';

export { Gatehouse } from './gatehouse.js';
export type { ConnectionState, GatehouseOptions, StateInfo } from './options.js';
export type { Session } from './session.js';
export { GatehouseError } from './errors.js';
export type { BackoffOptions } from './backoff.js';
export type { ChatMessage, JoinAck, Member, MembersAck, PresenceEvent } from './events.js';
export type { User } from './http.js';

/** Creates a client for the auth-service at `authUrl` and the gateway at `gatewayUrl`. */
export function createGatehouse(opts: GatehouseOptions): Gatehouse {
  return new Gatehouse(opts);
}
