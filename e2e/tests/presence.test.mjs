// Presence across two gateway replicas over one real redis-server, with the
// official socket.io-client: the join ack's member list, a user on two
// devices (one per replica) listed once with one presence:join, presence:leave
// only when the last device goes (leaving or just disconnecting),
// room:members and its refusals, and the server API's roster on either
// replica.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Stack, newUser, connect, ask, next, sleep } from '../lib/stack.mjs';

const KEY = randomBytes(24).toString('hex');
let auth, g1, g2;

before(async () => {
  const stack = new Stack({ name: 'presence' });
  ({ auth, g1, g2 } = await stack.startCluster({ GATEWAY_API_ADDR: '127.0.0.1:0', GATEWAY_API_KEYS: KEY }));
});

async function roster(gw, room) {
  const r = await fetch(`${gw.apiUrl}/presence`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ room }),
  });
  assert.equal(r.status, 200);
  const body = await r.json();
  body.members.sort((x, y) => x.id.localeCompare(y.id));
  return body;
}

const who = (u) => ({ id: u.id, username: u.username });
const byId = (list) => [...list].sort((x, y) => x.id.localeCompare(y.id));

/** Counts `event`s on a socket. */
function count(socket, event) {
  const seen = [];
  socket.on(event, (e) => seen.push(e));
  return seen;
}

test('members across replicas, one member per user however many devices', async () => {
  const room = `presence:r${randomBytes(4).toString('hex')}`;
  const [ann, bob] = await Promise.all([newUser(auth, 'ann'), newUser(auth, 'bob')]);
  const bob2 = await bob.login();
  const a = await connect(g1.url, ann.token);
  const b1 = await connect(g2.url, bob.token);
  const b2 = await connect(g1.url, bob2.token);

  assert.deepEqual(await ask(a, 'room:join', { room }), { ok: true, room, members: [who(ann)], count: 1 });
  const joinsAtA = count(a, 'presence:join');
  const firstJoin = next(a, 'presence:join');
  const ackB1 = await ask(b1, 'room:join', { room });
  assert.equal(ackB1.count, 2);
  assert.deepEqual(byId(ackB1.members), byId([who(ann), who(bob)]));
  assert.deepEqual(await firstJoin, { room, user: who(bob) });
  // Bob's second device, on the other replica: no new member, no new event.
  const ackB2 = await ask(b2, 'room:join', { room });
  assert.equal(ackB2.count, 2);
  const members = await ask(a, 'room:members', { room });
  assert.equal(members.count, 2);
  assert.deepEqual(byId(members.members), byId([who(ann), who(bob)]));
  await sleep(300);
  assert.equal(joinsAtA.length, 1, JSON.stringify(joinsAtA));

  for (const gw of [g1, g2]) {
    assert.deepEqual(await roster(gw, room), {
      members: byId([{ ...who(ann), sockets: 1 }, { ...who(bob), sockets: 2 }]),
      count: 2,
    });
  }

  // One device leaves: bob stays present. The last one disconnects without
  // leaving: presence:leave, once.
  const leaves = count(a, 'presence:leave');
  assert.deepEqual(await ask(b2, 'room:leave', { room }), { ok: true, room });
  await sleep(300);
  assert.deepEqual(leaves, []);
  assert.equal((await roster(g1, room)).members.find((m) => m.id === bob.id).sockets, 1);
  const left = next(a, 'presence:leave');
  b1.close();
  assert.deepEqual(await left, { room, user: who(bob) });
  await sleep(300);
  assert.equal(leaves.length, 1);
  assert.deepEqual(await roster(g2, room), { members: [{ ...who(ann), sockets: 1 }], count: 1 });
  a.close();
  b2.close();
});

test('room:members is for members of presence rooms only', async () => {
  const room = `presence:r${randomBytes(4).toString('hex')}`;
  const [ann, eve] = await Promise.all([newUser(auth, 'ann'), newUser(auth, 'eve')]);
  const a = await connect(g1.url, ann.token);
  const e = await connect(g2.url, eve.token);
  await ask(a, 'room:join', { room });
  assert.deepEqual(await ask(e, 'room:members', { room }), { error: 'forbidden' });
  assert.deepEqual(await ask(a, 'room:join', { room: 'public:plain' }), { ok: true, room: 'public:plain' });
  assert.deepEqual(await ask(a, 'room:members', { room: 'public:plain' }), { error: 'forbidden' });
  assert.deepEqual(await ask(a, 'room:members', { nope: 1 }), { error: 'invalid_payload' });
  assert.deepEqual(await ask(a, 'room:join', { room: 'presence:' }), { error: 'forbidden' });
  a.close();
  e.close();
});

test('a user racing joins on both replicas is announced once', async () => {
  const room = `presence:r${randomBytes(4).toString('hex')}`;
  const [watcher, racer] = await Promise.all([newUser(auth, 'w'), newUser(auth, 'race')]);
  const w = await connect(g1.url, watcher.token);
  await ask(w, 'room:join', { room });
  const joins = count(w, 'presence:join');
  const sessions = [racer.token, (await racer.login()).token, (await racer.login()).token, (await racer.login()).token];
  const sockets = await Promise.all(sessions.map((t, i) => connect((i % 2 ? g2 : g1).url, t)));
  const acks = await Promise.all(sockets.map((s) => ask(s, 'room:join', { room })));
  assert.ok(acks.every((ack) => ack.ok === true && ack.count === 2), JSON.stringify(acks));
  await sleep(500);
  assert.equal(joins.filter((j) => j.user.id === racer.id).length, 1);
  const leaves = count(w, 'presence:leave');
  sockets.forEach((s) => s.close());
  await sleep(800);
  assert.equal(leaves.filter((j) => j.user.id === racer.id).length, 1);
  assert.deepEqual(await roster(g2, room), { members: [{ ...who(watcher), sockets: 1 }], count: 1 });
  w.close();
});
