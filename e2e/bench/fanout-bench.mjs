// Fan-out benchmark (not part of the test suite):
//   node bench/fanout-bench.mjs
// A room of 1,000 sockets (100 users x 10 devices, official client,
// WebSocket) receives `message` events sent at a steady rate by one client,
// on one gateway and across two replicas over Redis (500 sockets on each).
// Reports deliveries per server CPU-second (gateways + Redis), delivery
// latency p50/p99 (send → each receipt), and loss: every message any socket
// that stayed connected did not receive, plus sockets disconnected as slow
// consumers. Bounded: BENCH_RATE (100/s) x BENCH_SECONDS (10).

import { stack, runBench, cpuSeconds, pct } from './harness.mjs';

const { Stack, newUser, connect, ask, sleep, startRedis } = stack;

const USERS = 100;
const DEVICES = 10;
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROOM = 'public:fanout';
const ws = { transports: ['websocket'], timeout: 20000 };

async function slowDisconnects(gw) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('gatehouse_gateway_disconnects_total{reason="slow_consumer"} '));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function scenario(name, gateways, users, extraPids) {
  const sockets = [];
  for (let u = 0; u < USERS; u++) {
    for (let d = 0; d < DEVICES; d++) {
      const gw = gateways[(u * DEVICES + d) % gateways.length];
      sockets.push(await connect(gw.url, users[u].token, ws));
    }
  }
  await Promise.all(sockets.map((s) => ask(s, 'room:join', { room: ROOM })));
  const latencies = [];
  const counts = new Map(sockets.map((s) => [s, 0]));
  let disconnected = 0;
  for (const s of sockets) {
    s.on('message', (m) => {
      counts.set(s, counts.get(s) + 1);
      latencies.push(Date.now() - Number(m.body));
    });
    s.on('disconnect', () => { disconnected += 1; });
  }
  const sender = sockets[0];
  const pids = [...gateways.map((g) => g.pid), ...extraPids];
  const cpu0 = pids.map(cpuSeconds);
  const total = RATE * SECONDS;
  const started = Date.now();
  const acks = [];
  for (let i = 0; i < total; i++) {
    acks.push(sender.timeout(20000).emitWithAck('message', { room: ROOM, body: String(Date.now()) }));
    const due = started + ((i + 1) * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  const answered = await Promise.allSettled(acks);
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && [...counts].some(([s, n]) => s.connected && n < total)) await sleep(100);
  const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + c - cpu0[i], 0);
  const delivered = [...counts.values()].reduce((a, n) => a + n, 0);
  const lost = [...counts].filter(([s]) => s.connected).reduce((a, [, n]) => a + (total - n), 0);
  const ackFailures = answered.filter((a) => a.status !== 'fulfilled' || a.value?.ok !== true).length;
  latencies.sort((a, b) => a - b);
  const slow = (await Promise.all(gateways.map((g) => slowDisconnects(g)))).reduce((a, n) => a + n, 0);
  const gone = disconnected;
  sockets.forEach((s) => s.close());
  return {
    name, total, delivered, lost, gone, slow, ackFailures,
    perCpu: delivered / cpu, cpuPer1000: (cpu / delivered) * 1000,
    p50: pct(latencies, 50), p99: pct(latencies, 99),
  };
}

async function run() {
  const s = new Stack({ name: 'fanout' });
  const redis = await startRedis();
  const auth = await s.startAuth();
  console.error(`binaries: target/${process.env.E2E_PROFILE}`);
  const users = [];
  for (let i = 0; i < USERS; i += 10) users.push(...(await Promise.all(Array.from({ length: 10 }, () => newUser(auth, 'fan')))));
  const env = { MAX_CONNECTIONS_PER_USER: String(DEVICES), EVENT_RATE_PER_SEC: '1000', EVENT_BURST: '1000', RUST_LOG: 'warn,realtime_gateway::startup=info' };
  const single = await s.startGateway({ auth, env });
  const rows = [await scenario('one gateway', [single], users, [])];
  await single.stop();
  const clusterEnv = { ...env, REDIS_URL: redis.url };
  const pair = await Promise.all([s.startGateway({ auth, env: clusterEnv }), s.startGateway({ auth, env: clusterEnv })]);
  rows.push(await scenario('two replicas over Redis', pair, users, [redis.child.pid]));
  console.log(`| setup | messages | deliveries | lost (connected sockets) | sockets disconnected (of them slow consumers) | ack failures | deliveries per server CPU-s | CPU-s per 1,000 deliveries | latency p50 | p99 |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.total} at ${RATE}/s | ${r.delivered} | ${r.lost} | ${r.gone} (${r.slow}) | ${r.ackFailures} | ${Math.round(r.perCpu)} | ${r.cpuPer1000.toFixed(3)} | ${r.p50} ms | ${r.p99} ms |`);
  }
}

await runBench(run, 8 * 60 * 1000);
