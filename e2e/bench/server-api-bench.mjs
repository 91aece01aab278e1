// Server-API benchmark (not part of the test suite):
//   node bench/server-api-bench.mjs
// 1. Publish: a room of 1,000 sockets (100 users x 10 devices, official
//    client, WebSocket) receives events published through the server API
//    (POST /api/v1/publish), on one gateway and across two replicas over
//    Redis (publishes alternate between the replicas; sockets are split
//    between them). Two phases per setup: a steady rate (BENCH_RATE/s for
//    BENCH_SECONDS) for latency — publish call → the LAST of the 1,000
//    sockets receiving it, p50/p99 — and a burst of BENCH_BURST publishes
//    (16 in flight) for throughput (publishes/s until every socket received
//    every event). Server CPU (gateways + Redis) per 1,000 deliveries.
// 2. Presence: in a presence room of 1,000 members (across two replicas),
//    (1,000 users, one socket each) the time of one more user's `room:join` (ack with the member list) and
//    `room:leave`, with the presence:join / presence:leave fan-out to the
//    1,000 members, and the Redis memory of the room.
// Bounded in count and time; loopback only.

import { randomBytes } from 'node:crypto';

import { stack, runBench, cpuSeconds, pct } from './harness.mjs';

const { Stack, newUser, connect, ask, sleep, startRedis } = stack;

const USERS = Number(process.env.BENCH_USERS ?? 100);
const DEVICES = 10;
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const IN_FLIGHT = 16;
const PRESENCE_ROUNDS = Number(process.env.BENCH_PRESENCE_ROUNDS ?? 30);
const PRESENCE_USERS = Number(process.env.BENCH_PRESENCE_USERS ?? 1000);
const ROOM = 'public:api-bench';
const KEY = randomBytes(24).toString('hex');
const ws = { transports: ['websocket'], timeout: 20000 };

const median = (xs) => pct([...xs].sort((a, b) => a - b), 50);

async function publish(gw, seq) {
  const r = await fetch(`${gw.apiUrl}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ room: ROOM, event: 'bench.tick', data: { seq } }),
  });
  if (r.status !== 200) throw new Error(`publish answered ${r.status}`);
}

async function openRoom(gateways, users, room, devices = DEVICES) {
  const sockets = [];
  for (let u = 0; u < users.length; u++) {
    for (let d = 0; d < devices; d++) {
      const gw = gateways[(u * devices + d) % gateways.length];
      sockets.push(await connect(gw.url, users[u].token, ws));
    }
  }
  // One join at a time: in a presence room every join is an event to every
  // member, so N simultaneous joins are N² events at once (see BENCHMARKS.md).
  for (const s of sockets) await ask(s, 'room:join', { room });
  return sockets;
}

async function publishScenario(name, gateways, users, extraPids) {
  const sockets = await openRoom(gateways, users, ROOM);
  console.error(`${name}: ${sockets.length} sockets in ${ROOM}`);
  const sentAt = new Map();
  const lastAt = new Map();
  const seen = new Map();
  let received = 0;
  for (const s of sockets) {
    s.on('bench.tick', ({ seq }) => {
      received += 1;
      lastAt.set(seq, Date.now());
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    });
  }
  const pids = [...gateways.map((g) => g.pid), ...extraPids];
  const waitAll = async (seqs) => {
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && seqs.some((q) => (seen.get(q) ?? 0) < sockets.length)) await sleep(20);
  };

  // Steady rate: latency.
  const steady = [];
  const cpu0 = pids.map(cpuSeconds);
  const started = Date.now();
  const calls = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    sentAt.set(i, Date.now());
    steady.push(i);
    calls.push(publish(gateways[i % gateways.length], i));
    const due = started + ((i + 1) * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  await Promise.all(calls);
  await waitAll(steady);
  console.error(`${name}: steady phase done, ${received} deliveries`);
  const lat = steady.map((q) => lastAt.get(q) - sentAt.get(q)).sort((a, b) => a - b);

  // Burst: throughput.
  const burst = Array.from({ length: BURST }, (_, i) => 100000 + i);
  const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < burst.length) {
      const i = next++;
      await publish(gateways[i % gateways.length], burst[i]);
    }
  }));
  await waitAll(burst);
  const burstMs = Math.max(...burst.map((q) => lastAt.get(q) ?? Date.now())) - t0;
  const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + c - cpu0[i], 0);
  const expected = (steady.length + burst.length) * sockets.length;
  sockets.forEach((s) => s.close());
  return {
    name,
    publishes: steady.length + burst.length,
    delivered: received,
    lost: expected - received,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    perSecond: (burst.length / burstMs) * 1000,
    cpuPer1000: (cpu / received) * 1000,
  };
}

async function presenceScenario(gateways, users, joiner, redis) {
  const room = 'presence:bench';
  const sockets = await openRoom(gateways, users, room, 1);
  console.error(`presence: ${sockets.length} sockets in ${room}`);
  let joins = 0;
  let leaves = 0;
  for (const s of sockets) {
    s.on('presence:join', () => { joins += 1; });
    s.on('presence:leave', () => { leaves += 1; });
  }
  const probe = await connect(gateways[0].url, joiner.token, ws);
  const joinMs = [];
  const leaveMs = [];
  const fanJoin = [];
  const fanLeave = [];
  const pids = [...gateways.map((g) => g.pid), redis.child.pid];
  const cpu0 = pids.map(cpuSeconds);
  for (let r = 0; r < PRESENCE_ROUNDS; r++) {
    joins = 0;
    let t = performance.now();
    const ack = await ask(probe, 'room:join', { room });
    joinMs.push(performance.now() - t);
    if (ack.count !== users.length + 1 || ack.members.length !== Math.min(100, users.length + 1)) throw new Error(`unexpected ack ${JSON.stringify(ack).slice(0, 200)}`);
    while (joins < sockets.length) await sleep(1);
    fanJoin.push(performance.now() - t);
    leaves = 0;
    t = performance.now();
    await ask(probe, 'room:leave', { room });
    leaveMs.push(performance.now() - t);
    while (leaves < sockets.length) await sleep(1);
    fanLeave.push(performance.now() - t);
  }
  const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + c - cpu0[i], 0);
  const { execFileSync } = await import('node:child_process');
  const port = new URL(redis.url).port;
  const mem = ['sockets', 'names']
    .map((k) => Number(execFileSync('redis-cli', ['-p', port, 'MEMORY', 'USAGE', `gatehouse:presence:{${room}}:${k}`]).toString().trim()))
    .reduce((a, b) => a + b, 0);
  probe.close();
  sockets.forEach((s) => s.close());
  return {
    join: median(joinMs), leave: median(leaveMs), fanJoin: median(fanJoin), fanLeave: median(fanLeave),
    cpuPerChange: (cpu / (2 * PRESENCE_ROUNDS)) * 1000, bytesPerMember: mem / users.length, mem, members: users.length,
  };
}

async function run() {
  const s = new Stack({ name: 'server-api' });
  const redis = await startRedis();
  const auth = await s.startAuth();
  console.error(`binaries: target/${process.env.E2E_PROFILE}`);
  const users = [];
  for (let i = 0; i < USERS; i += 10) users.push(...(await Promise.all(Array.from({ length: 10 }, () => newUser(auth, 'api')))));
  const joiner = await newUser(auth, 'joiner');
  const members = [...users];
  while (members.length < PRESENCE_USERS) {
    members.push(...(await Promise.all(Array.from({ length: 20 }, () => newUser(auth, 'member')))));
  }
  members.length = PRESENCE_USERS;
  const env = {
    MAX_CONNECTIONS_PER_USER: String(DEVICES), GATEWAY_API_ADDR: '127.0.0.1:0', GATEWAY_API_KEYS: KEY,
    RUST_LOG: 'warn,realtime_gateway::startup=info,realtime_gateway::api=info',
  };
  const single = await s.startGateway({ auth, env });
  const rows = [await publishScenario('one gateway', [single], users, [])];
  await single.stop();
  const clusterEnv = { ...env, REDIS_URL: redis.url };
  const pair = await Promise.all([s.startGateway({ auth, env: clusterEnv }), s.startGateway({ auth, env: clusterEnv })]);
  rows.push(await publishScenario('two replicas over Redis', pair, users, [redis.child.pid]));
  const p = await presenceScenario(pair, members, joiner, redis);
  console.log(`| setup | publishes | deliveries | lost | publish → last of ${USERS * DEVICES} sockets p50 | p99 | publishes/s (burst, ${IN_FLIGHT} in flight) | server CPU-s per 1,000 deliveries |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.publishes} (${RATE * SECONDS} at ${RATE}/s, then ${BURST}) | ${r.delivered} | ${r.lost} | ${r.p50} ms | ${r.p99} ms | ${Math.round(r.perSecond)} | ${r.cpuPer1000.toFixed(3)} |`);
  }
  console.log('');
  console.log(`| presence room of ${p.members} members (one socket each, split over two replicas) | median of ${PRESENCE_ROUNDS} |`);
  console.log('|---|---|');
  console.log(`| \`room:join\` ack (${p.members + 1} counted, ${Math.min(100, p.members + 1)} listed) | ${p.join.toFixed(1)} ms |`);
  console.log(`| join until all ${p.members} members got \`presence:join\` | ${p.fanJoin.toFixed(1)} ms |`);
  console.log(`| \`room:leave\` ack | ${p.leave.toFixed(1)} ms |`);
  console.log(`| leave until all ${p.members} members got \`presence:leave\` | ${p.fanLeave.toFixed(1)} ms |`);
  console.log(`| server CPU per join or leave (gateways + Redis, fan-out included) | ${p.cpuPerChange.toFixed(2)} ms |`);
  console.log(`| Redis memory of the room | ${p.mem} bytes (${Math.round(p.bytesPerMember)} per member) |`);
}

await runBench(run, 8 * 60 * 1000);
