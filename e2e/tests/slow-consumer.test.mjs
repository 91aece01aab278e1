// A client too slow to keep up: it is disconnected with reason
// `slow_consumer` (counted in the disconnect metrics) instead of silently
// missing events, while every other member, on both replicas, receives every
// message exactly once and the sender receives every ack.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  Stack, newUser, connect, ask, sleep, startRedis, rawWebSocket, nextText,
} from '../lib/stack.mjs';

const ws = { transports: ['websocket'] };
const ROOM = 'public:firehose';
const MESSAGES = 6000;
const IN_FLIGHT = 16;
const BODY = 'x'.repeat(4000);

let stack, auth, g1, g2;

before(async () => {
  stack = new Stack({ name: 'slow' });
  const redis = await startRedis();
  auth = await stack.startAuth();
  const env = {
    REDIS_URL: redis.url,
    SOCKET_BUFFER_PACKETS: '64',
    EVENT_RATE_PER_SEC: '100000',
    EVENT_BURST: '100000',
  };
  [g1, g2] = await Promise.all([
    stack.startGateway({ auth, env, name: 'gateway-1' }),
    stack.startGateway({ auth, env, name: 'gateway-2' }),
  ]);
});

async function metric(gw, series) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** A raw client in ROOM on `gw` that then stops reading its socket. */
async function stalledMember(gw, token) {
  const { ws: raw } = await rawWebSocket(gw.url);
  raw.send(`40${JSON.stringify({ token })}`);
  assert.match(await nextText(raw), /^40\{"sid"/);
  raw.send(`420${JSON.stringify(['room:join', { room: ROOM }])}`);
  assert.equal(await nextText(raw), `430[${JSON.stringify({ ok: true, room: ROOM })}]`);
  raw._socket.pause();
  return raw;
}

test('a member that stops reading is disconnected as a slow consumer; nobody else loses anything', async () => {
  const users = await Promise.all([0, 1, 2, 3, 4].map(() => newUser(auth, 'fire')));
  const sender = await connect(g1.url, users[0].token, ws);
  const members = [
    await connect(g1.url, users[1].token, ws),
    await connect(g2.url, users[2].token, ws),
    await connect(g2.url, users[3].token, ws),
  ];
  for (const s of [sender, ...members]) assert.deepEqual(await ask(s, 'room:join', { room: ROOM }), { ok: true, room: ROOM });
  const received = members.map(() => []);
  members.forEach((m, i) => m.on('message', (msg) => received[i].push(Number(msg.body.slice(0, 8)))));
  const slow = await stalledMember(g2, users[4].token);
  const before = await metric(g2, 'gatehouse_gateway_disconnects_total{reason="slow_consumer"}');

  // Acked sends, IN_FLIGHT at a time.
  const acks = [];
  for (let i = 0; i < MESSAGES; i += IN_FLIGHT) {
    const batch = [];
    for (let k = i; k < Math.min(MESSAGES, i + IN_FLIGHT); k++) {
      const body = String(k).padStart(8, '0') + BODY.slice(8);
      batch.push(sender.timeout(20000).emitWithAck('message', { room: ROOM, body }));
    }
    acks.push(...(await Promise.all(batch)));
  }
  assert.equal(acks.length, MESSAGES);
  assert.ok(acks.every((a) => a.ok === true), 'every ack arrived and was ok');

  const deadline = Date.now() + 20000;
  while (received.some((r) => r.length < MESSAGES) && Date.now() < deadline) await sleep(50);
  // Every message exactly once (with 16 sends in flight their order is
  // the order the handlers finished in, not the order they were sent).
  const all = Array.from({ length: MESSAGES }, (_, k) => k);
  received.forEach((r, i) => assert.deepEqual([...r].sort((a, b) => a - b), all, `member ${i} lost or duplicated messages`));
  assert.ok(members.every((m) => m.connected));

  assert.equal(
    await metric(g2, 'gatehouse_gateway_disconnects_total{reason="slow_consumer"}'),
    before + 1,
    'the stalled member was disconnected as a slow consumer',
  );
  slow.terminate();
});
