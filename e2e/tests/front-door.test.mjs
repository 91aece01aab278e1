// The gateway's front door: what an unauthenticated client can hold. Each
// limit is set low for the test, attacked with raw engine.io clients (and
// raw TCP for slow headers) from one loopback address, and a real user of
// the official client connects from another address meanwhile.

import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import {
  Stack, newUser, connect, socketFor, awaitConnect, ask, sleep, rawWebSocket, closedWithin,
  pollingOpen, pollingGet, pollingPost, slowHeaders, rssKiB, withTimeout, nextText,
} from '../lib/stack.mjs';

const ws = { transports: ['websocket'] };

/** The value of one series in the gateway's /metrics (0 when absent). */
async function metric(gw, series) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('sessions that do not authenticate', () => {
  let stack, auth, gw;
  before(async () => {
    stack = new Stack({ name: 'door-timeouts' });
    auth = await stack.startAuth();
    gw = await stack.startGateway({
      auth,
      env: { CONNECT_TIMEOUT: '1s', REFUSED_SESSION_GRACE: '500ms' },
    });
  });

  test('a WebSocket session that never sends CONNECT is closed after CONNECT_TIMEOUT', async () => {
    const t0 = Date.now();
    const { ws: raw } = await rawWebSocket(gw.url);
    const closedAt = await closedWithin(raw, 4000);
    assert.ok(closedAt, 'still open after 4 s');
    assert.ok(closedAt - t0 >= 900 && closedAt - t0 <= 2000, `closed after ${closedAt - t0} ms`);
  });

  test('a long-polling session that never sends CONNECT is gone after CONNECT_TIMEOUT', async () => {
    const { sid } = await pollingOpen(gw.url);
    await sleep(1500);
    const after = await pollingGet(gw.url, sid, 3000);
    assert.equal(after.status, 400, `a poll 1.5 s later: ${after.status} ${after.body}`);
  });

  test('the official client receives its connect_error code before the session closes', async () => {
    for (const transports of [['websocket'], ['polling']]) {
      const socket = io(gw.url, { auth: { token: 'garbage' }, forceNew: true, reconnection: false, transports });
      const err = await withTimeout(new Promise((res) => socket.once('connect_error', res)), 5000, 'connect_error');
      socket.close();
      assert.equal(err.message, 'invalid_token', transports[0]);
    }
    await sleep(700); // let both refusals' grace pass before the next test counts
  });

  test('a refused WebSocket session is closed after the grace, once the client has its code', async () => {
    const before = await metric(gw, 'gatehouse_gateway_sessions_shed_total{reason="refused"}');
    const { ws: raw } = await rawWebSocket(gw.url);
    raw.send('40{"token":"garbage"}');
    assert.equal(await nextText(raw), '44{"message":"invalid_token"}');
    const refusedAt = Date.now();
    const closedAt = await closedWithin(raw, 3000);
    assert.ok(closedAt, 'the session stayed open');
    const after = closedAt - refusedAt;
    assert.ok(after >= 400 && after <= 1200, `closed ${after} ms after the code (grace 500 ms)`);
    assert.equal(await metric(gw, 'gatehouse_gateway_sessions_shed_total{reason="refused"}'), before + 1);
  });

  test('a refused long-polling session is closed after the grace too', async () => {
    const { sid } = await pollingOpen(gw.url);
    assert.equal(await pollingPost(gw.url, sid, '40{"token":"garbage"}'), 200);
    const answer = await pollingGet(gw.url, sid, 3000);
    assert.match(answer.body, /44\{"message":"invalid_token"\}/);
    await sleep(800);
    const after = await pollingGet(gw.url, sid, 3000);
    assert.equal(after.status, 400, `a poll after the grace: ${after.status} ${after.body}`);
  });

  test('a client that fixes its token within the grace stays connected on the same session', async () => {
    const user = await newUser(auth, 'door');
    const { ws: raw } = await rawWebSocket(gw.url);
    raw.send('40{"token":"garbage"}');
    assert.equal(await nextText(raw), '44{"message":"invalid_token"}');
    raw.send(`40${JSON.stringify({ token: user.token })}`);
    assert.match(await nextText(raw), /^40\{"sid":/);
    await sleep(1200);
    assert.equal(raw.closedAt, undefined, 'closed although it authenticated');
    raw.send('42["whoami"]');
    raw.send('421["whoami"]');
    assert.equal(await nextText(raw), `431[${JSON.stringify({ id: user.id, username: user.username })}]`);
    raw.close();
  });
});

describe('per-address limits', () => {
  let stack, auth, gw;
  before(async () => {
    stack = new Stack({ name: 'door-caps' });
    auth = await stack.startAuth();
    gw = await stack.startGateway({
      auth,
      env: { MAX_PENDING_PER_ADDRESS: '3', HANDSHAKE_RATE_PER_ADDRESS: '1000', CONNECT_TIMEOUT: '10s' },
    });
  });

  test('an address past MAX_PENDING_PER_ADDRESS is refused while another still connects', async () => {
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await rawWebSocket(gw.url, { localAddress: '127.0.0.2' }));
    assert.ok(held.every((h) => h.ws), 'the first three are admitted');
    const fourth = await rawWebSocket(gw.url, { localAddress: '127.0.0.2' });
    assert.equal(fourth.status, 429);
    // A real user elsewhere is untouched, and authenticated sockets do not count.
    const user = await newUser(auth, 'capped');
    const sockets = [];
    for (let i = 0; i < 4; i++) sockets.push(await connect(gw.url, user.token, { ...ws, localAddress: '127.0.0.3' }));
    assert.ok(sockets.every((s) => s.connected));
    // Slots come back when the pending sessions go.
    held.forEach((h) => h.ws.close());
    await sleep(300);
    const again = await rawWebSocket(gw.url, { localAddress: '127.0.0.2' });
    assert.ok(again.ws, `after the sessions closed: ${again.status}`);
    again.ws.close();
  });
});

describe('handshake rate and proxies', () => {
  let stack, auth;
  before(async () => {
    stack = new Stack({ name: 'door-rate' });
    auth = await stack.startAuth();
  });

  test('HANDSHAKE_RATE_PER_ADDRESS refuses a burst from one address, not from another', async () => {
    const gw = await stack.startGateway({ auth, env: { HANDSHAKE_RATE_PER_ADDRESS: '2', MAX_PENDING_PER_ADDRESS: '100' } });
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const r = await rawWebSocket(gw.url, { localAddress: '127.0.0.4' });
      statuses.push(r.status ?? 101);
      r.ws?.close();
    }
    assert.deepEqual(statuses, [101, 101, 101, 101, 429, 429], 'burst of twice the rate, then refused');
    const user = await newUser(auth, 'rate');
    const s = await connect(gw.url, user.token, { ...ws, localAddress: '127.0.0.5' });
    assert.equal(s.connected, true);
  });

  test('with TRUSTED_PROXY_HOPS=1 the address comes from X-Forwarded-For', async () => {
    const gw = await stack.startGateway({
      auth,
      env: { TRUSTED_PROXY_HOPS: '1', MAX_PENDING_PER_ADDRESS: '2', HANDSHAKE_RATE_PER_ADDRESS: '1000' },
    });
    const from = (ip) => rawWebSocket(gw.url, { headers: { 'x-forwarded-for': `198.51.100.1, ${ip}` } });
    const a = [await from('203.0.113.2'), await from('203.0.113.2')];
    assert.ok(a.every((r) => r.ws));
    assert.equal((await from('203.0.113.2')).status, 429);
    const b = await from('203.0.113.3');
    assert.ok(b.ws, 'another forwarded address has its own cap');
    [...a, b].forEach((r) => r.ws.close());
  });

  test('without trusted hops X-Forwarded-For is ignored', async () => {
    const gw = await stack.startGateway({ auth, env: { MAX_PENDING_PER_ADDRESS: '2', HANDSHAKE_RATE_PER_ADDRESS: '1000' } });
    const opened = [];
    for (const ip of ['203.0.113.7', '203.0.113.8']) {
      opened.push(await rawWebSocket(gw.url, { localAddress: '127.0.0.6', headers: { 'x-forwarded-for': ip } }));
    }
    const third = await rawWebSocket(gw.url, { localAddress: '127.0.0.6', headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(third.status, 429, 'counted under the TCP peer, whatever the header says');
    opened.forEach((r) => r.ws.close());
  });
});

describe('slow headers and binary floods', () => {
  let stack, auth, gw;
  before(async () => {
    stack = new Stack({ name: 'door-flood' });
    auth = await stack.startAuth();
    gw = await stack.startGateway({ auth, env: { HEADER_READ_TIMEOUT: '1s', CONNECT_TIMEOUT: '5s' } });
  });

  test('connections that never finish their headers are closed; a real user connects meanwhile', async () => {
    const port = Number(gw.addr.split(':').pop());
    const loris = Array.from({ length: 50 }, () => slowHeaders(port, { everyMs: 200, ms: 5000 }));
    await sleep(200);
    const user = await newUser(auth, 'loris');
    const s = await connect(gw.url, user.token, ws);
    assert.equal(s.connected, true);
    const results = await Promise.all(loris);
    const lifetimes = results.map((r) => (r.closedAt ? r.closedAt - r.started : Infinity));
    assert.ok(lifetimes.every((t) => t <= 2500), `slow connections lived ${Math.max(...lifetimes)} ms`);
  });

  test('unauthenticated sessions claiming thousands of binary attachments are closed and memory returns', async () => {
    const baseline = rssKiB(gw.pid);
    const frame = Buffer.alloc(20 * 1024, 7);
    const sessions = await Promise.all(Array.from({ length: 40 }, () => rawWebSocket(gw.url)));
    for (const { ws: raw } of sessions) {
      raw.send('4510000-["flood"]');
      for (let i = 0; i < 40; i++) raw.send(frame);
    }
    const closed = await Promise.all(sessions.map(({ ws: raw }) => closedWithin(raw, 3000)));
    assert.ok(closed.every(Boolean), `${closed.filter((c) => !c).length} flood sessions still open`);
    await sleep(500);
    const after = rssKiB(gw.pid);
    assert.ok(after - baseline < 20 * 1024, `RSS ${baseline} KiB -> ${after} KiB`);
  });

  test('an authenticated socket over the attachment limit is closed; within it, the socket is usable', async () => {
    const user = await newUser(auth, 'bin');
    const ok = await connect(gw.url, user.token, ws);
    const small = await ask(ok, 'made-up-event', Buffer.alloc(1024));
    assert.deepEqual(small, { error: 'invalid_payload' });
    const tooMany = Array.from({ length: 9 }, () => Buffer.alloc(16));
    const closed = new Promise((res) => ok.once('disconnect', res));
    ok.emit('made-up-event', ...tooMany);
    const reason = await withTimeout(closed, 3000, 'disconnect');
    assert.equal(reason, 'transport close');
  });
});
