// socket.io client helpers around the official JavaScript client: open a
// socket, await its connect or connect_error, assert refusals, acks, events.

import { io } from 'socket.io-client';
import { onStop } from './child.mjs';
import { sleep, withTimeout } from './util.mjs';

const openSockets = new Set();
onStop(() => {
  for (const s of openSockets) s.close();
  openSockets.clear();
});

/** Creates a client socket without waiting; closed in the file's after(). */
export function socketFor(url, token, opts = {}) {
  const { auth, ...rest } = opts;
  const socket = io(url, {
    auth: auth !== undefined ? auth : token === undefined ? undefined : { token },
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...rest,
  });
  socket.connectCount = 0;
  socket.connectErrors = [];
  socket.on('connect', () => {
    socket.connectCount += 1;
  });
  socket.on('connect_error', (err) => socket.connectErrors.push(err));
  openSockets.add(socket);
  return socket;
}

/**
 * Waits for the socket's next `connect` (resolves the socket) or
 * `connect_error` (rejects with an Error whose message is the server's
 * message, and `.socket`, `.cause` set). Calls `socket.connect()` when asked.
 */
export function awaitConnect(socket, { ms = 8000, kick = false } = {}) {
  const p = new Promise((res, rej) => {
    const onConnect = () => {
      off();
      res(socket);
    };
    const onError = (err) => {
      off();
      const e = new Error(err.message);
      e.socket = socket;
      e.cause = err;
      e.description = err.description;
      rej(e);
    };
    const off = () => {
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
  if (kick) socket.connect();
  return withTimeout(p, ms, 'socket connect');
}

/** Opens a socket: resolves it once connected, rejects with the connect_error message. */
export function connect(url, token, opts = {}) {
  const socket = socketFor(url, token, opts);
  return awaitConnect(socket, { ms: opts.connectTimeoutMs ?? 8000 }).catch((e) => {
    socket.close();
    throw e;
  });
}

/**
 * Attempts a connection that must be refused: returns the connect_error
 * message after checking (over a short settling period) that `connect`
 * never fired.
 */
export async function refusal(url, token, opts = {}) {
  const socket = socketFor(url, token, opts);
  let message;
  try {
    await awaitConnect(socket, { ms: opts.connectTimeoutMs ?? 8000 });
    message = '(connected)';
  } catch (e) {
    message = e.message;
  }
  const w = watchDisconnect(socket);
  const t0 = Date.now();
  await sleep(opts.settleMs ?? 150);
  const connected = socket.connectCount > 0 || socket.connected;
  socket.close();
  const result = { message, connected };
  if (connected) {
    // For failure messages: what happened to the socket that should not exist.
    const d = w();
    const detail = d ? `server closed it after ${d.at - t0} ms (${d.reason})` : 'still open';
    Object.defineProperty(result, 'detail', { value: detail, enumerable: false });
    result.message = `(connected: ${detail})`;
  }
  return result;
}

/** Emits with an ack; rejects if no ack within `ms`. */
export function ask(socket, event, ...args) {
  return socket.timeout(4000).emitWithAck(event, ...args);
}

/** Resolves with the first argument of the next `event` on `emitter` (bounded). */
export function next(emitter, event, ms = 5000) {
  let handler;
  const p = new Promise((res) => {
    handler = (first) => res(first);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, `event ${event}`).finally(() => emitter.off(event, handler));
}

/** Resolves with the disconnect reason (at once if already disconnected). */
export function disconnected(socket, ms = 5000) {
  if (!socket.connected) return Promise.resolve(socket.lastDisconnect ?? 'not connected');
  return next(socket, 'disconnect', ms);
}

/**
 * Records when each socket disconnects: returns a function giving
 * {reason, at} or undefined.
 */
export function watchDisconnect(socket) {
  let seen;
  socket.once('disconnect', (reason) => {
    seen = { reason, at: Date.now() };
  });
  return () => seen;
}
