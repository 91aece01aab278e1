// Typed promise helpers for the gateway's built-in events (README,
// "socket.io protocol", "Presence", "Application hooks"): each
// resolves with the ack and rejects with a `GatehouseError` carrying the
// ack's `code` (or `timeout` when no ack came in time).

import type { Socket } from 'socket.io-client';
import { GatehouseError } from './errors.js';

/** A user as the gateway names it. */
export interface Member {
  /** User id. */
  id: string;
  /** Username. */
  username: string;
}

/** Ack of `room:join`; presence rooms add `members` and `count`. */
export interface JoinAck {
  /** Always true on success. */
  ok: true;
  /** The room joined. */
  room: string;
  /** Members listed (at most 100), presence rooms only. */
  members?: Member[];
  /** Distinct users in the room, the joiner included; presence rooms only. */
  count?: number;
}

/** Ack of `room:members`. */
export interface MembersAck {
  /** Members listed (at most 100). */
  members: Member[];
  /** Distinct users in the room. */
  count: number;
}

/** A chat message as the gateway broadcasts it. */
export interface ChatMessage {
  /** The sender, from the sender's token. */
  from: Member;
  /** Room it was sent to. */
  room: string;
  /** Text. */
  body: string;
  /** Server time of the broadcast. */
  at: string | number;
}

/** `presence:join` / `presence:leave` payload. */
export interface PresenceEvent {
  /** Presence room. */
  room: string;
  /** The user who came or went. */
  user: Member;
}

/**
 * Emits `event` with `payload` and waits for the ack; an ack with `error`
 * rejects with that code. Emits made while disconnected are buffered by
 * socket.io-client and sent on the next connect.
 */
export async function request<T>(socket: Socket, timeoutMs: number, event: string, ...payload: unknown[]): Promise<T> {
  let ack: unknown;
  try {
    ack = await socket.timeout(timeoutMs).emitWithAck(event, ...payload);
  } catch {
    throw new GatehouseError('timeout', `no answer to ${event} within ${timeoutMs} ms`);
  }
  if (ack && typeof ack === 'object' && 'error' in ack) {
    const code = String((ack as { error: unknown }).error);
    throw new GatehouseError(code, `${event} refused: ${code}`);
  }
  return ack as T;
}
