// Graceful shutdown: with 1,000 live sockets, SIGTERM makes the gateway
// refuse new handshakes (auth_unavailable, never a 5xx), disconnect every
// socket within GATEWAY_DRAIN_PERIOD, and exit with code 0.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, socketFor, awaitConnect, sleep, withTimeout } from '../lib/stack.mjs';

const SOCKETS = 1000;
const USERS = 10;
const BATCH = 100;
const DRAIN_MS = 3000;

let stack, auth, gw, users;

before(async () => {
  stack = new Stack({ name: 'drain' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({
    auth,
    env: { GATEWAY_DRAIN_PERIOD: `${DRAIN_MS}ms`, MAX_CONNECTIONS_PER_USER: String(SOCKETS) },
  });
  users = await Promise.all(Array.from({ length: USERS }, () => newUser(auth, 'drain')));
});

test(`SIGTERM drains ${SOCKETS} sockets within the drain period and exits 0`, { timeout: 90000 }, async (t) => {
  // Open the sockets in batches over WebSocket.
  const sockets = [];
  const opened = Date.now();
  for (let i = 0; i < SOCKETS; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, SOCKETS - i) }, (_, j) => {
      const s = socketFor(gw.url, users[(i + j) % USERS].token, { transports: ['websocket'], timeout: 20000 });
      return awaitConnect(s, { ms: 30000 });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  const openMs = Date.now() - opened;
  assert.equal(sockets.filter((s) => s.connected).length, SOCKETS);

  const closed = new Map();
  const connectErrors = [];
  for (const s of sockets) {
    s.once('disconnect', (reason) => closed.set(s, { reason, at: Date.now() }));
    s.on('connect_error', (e) => connectErrors.push(e));
  }

  // Probes: new handshakes during the drain (polling, so an HTTP status would show).
  const probeResults = [];
  let probing = true;
  const prober = (async () => {
    const until = Date.now() + DRAIN_MS + 6000;
    while (probing && Date.now() < until) {
      const p = socketFor(gw.url, users[0].token, { timeout: 3000 });
      try {
        await awaitConnect(p, { ms: 4000 });
        probeResults.push({ at: Date.now(), outcome: 'connected' });
      } catch (e) {
        probeResults.push({ at: Date.now(), outcome: e.message, status: statusOf(e.cause) });
      }
      p.close();
      await sleep(150);
    }
  })();

  const t0 = Date.now();
  gw.child.proc.kill('SIGTERM');
  const exitPromise = gw.child.exit;

  const deadline = t0 + DRAIN_MS + 2000;
  while (closed.size < SOCKETS && Date.now() < deadline) await sleep(25);
  const lastClose = Math.max(...[...closed.values()].map((c) => c.at)) - t0;
  const reasons = countBy([...closed.values()].map((c) => c.reason));

  const exit = await withTimeout(exitPromise, 15000, 'gateway exit after SIGTERM').catch(() => ({ code: 'still running' }));
  probing = false;
  await prober;

  const fiveHundreds = probeResults.filter((r) => r.status >= 500);
  const refusedDuringDrain = probeResults.filter((r) => r.outcome === 'auth_unavailable');
  const connectedAfterTerm = probeResults.filter((r) => r.outcome === 'connected' && r.at > t0 + 200);
  const summary = JSON.stringify({ openMs, closed: closed.size, lastClose, reasons, exit, probes: countBy(probeResults.map((r) => r.outcome)) });

  t.diagnostic(summary);
  assert.equal(closed.size, SOCKETS, `every socket disconnected by the drain: ${summary}`);
  assert.ok(lastClose <= DRAIN_MS + 1000, `last socket closed ${lastClose} ms after SIGTERM (period ${DRAIN_MS} ms): ${summary}`);
  assert.deepEqual(reasons, { 'io server disconnect': SOCKETS }, summary);
  assert.deepEqual(fiveHundreds, [], `no 5xx during the drain: ${summary}`);
  assert.deepEqual(connectErrors, [], 'drained sockets do not see connect_error');
  assert.deepEqual(connectedAfterTerm, [], `no handshake accepted after SIGTERM: ${summary}`);
  assert.ok(refusedDuringDrain.length >= 1, `new handshakes during the drain get auth_unavailable: ${summary}`);
  assert.deepEqual(exit, { code: 0, signal: null }, summary);
});

function statusOf(err) {
  // engine.io-client's TransportError carries the HTTP status as `description`.
  const d = err?.description;
  return typeof d === 'number' ? d : undefined;
}

function countBy(list) {
  const out = {};
  for (const x of list) out[x] = (out[x] ?? 0) + 1;
  return out;
}
