// Handshake benchmark (not part of the test suite):
//   node bench/handshake-bench.mjs
// Starts its own stack through lib/stack.mjs (release binaries from
// target/release when present, else target/debug; MONGODB_URI when set,
// else a throwaway SecantusDB) and measures, over WebSocket:
//   1. handshake latency p50/p99 with 50 concurrent handshakes
//      (1,000 handshakes using 50 pre-made user sessions),
//   2. server CPU-seconds (gateway + auth-service, utime+stime from
//      /proc/<pid>/stat) per 1,000 authenticated handshakes,
//   3. gateway RSS per idle authenticated connection at 5,000 connections
//      (VmRSS from /proc/<pid>/status before and after, ~100 users).
// Prints a markdown table. Everything is bounded in time.
// Knobs: BENCH_HANDSHAKES (1000), BENCH_CONCURRENCY (50), BENCH_IDLE (5000), BENCH_USERS (100).

import { readFileSync } from 'node:fs';

import { stack, runBench, cpuSeconds } from './harness.mjs';

const { Stack, newUser, socketFor, awaitConnect, sleep } = stack;

const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const IDLE = Number(process.env.BENCH_IDLE ?? 5000);
const USERS = Number(process.env.BENCH_USERS ?? 100);
const CLK_TCK = 100;
const TOTAL_BUDGET_MS = 8 * 60 * 1000;
const ws = { transports: ['websocket'], timeout: 20000 };


function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function handshake(url, token) {
  const s = socketFor(url, token, ws);
  const t0 = process.hrtime.bigint();
  await awaitConnect(s, { ms: 20000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  s.close();
  return ms;
}

async function run() {
  const stack = new Stack({ name: 'bench' });
  const auth = await stack.startAuth();
  const gw = await stack.startGateway({
    auth,
    env: {
      MAX_CONNECTIONS_PER_USER: String(Math.max(100, Math.ceil(IDLE / USERS) + 10)),
      RUST_LOG: 'warn,realtime_gateway::startup=info',
    },
  });
  console.error(`binaries: target/${process.env.E2E_PROFILE}; gateway ${gw.url}, auth ${auth.httpUrl}`);

  // Users and sessions (registration is argon2-bound: do it in small batches).
  const users = [];
  for (let i = 0; i < USERS; i += 10) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(10, USERS - i) }, () => newUser(auth, 'bench')))));
  }
  const sessions = users.slice(0, CONCURRENCY);

  // 1 + 2: latency at CONCURRENCY and CPU per handshake, on the default
  // gateway (CheckSession answers cached SESSION_CACHE_TTL=5s) and on one
  // with the cache off (every handshake calls CheckSession).
  const cold = await stack.startGateway({
    auth,
    env: { SESSION_CACHE_TTL: '1ms', RUST_LOG: 'warn,realtime_gateway::startup=info' },
    name: 'gateway-bench-nocache',
  });
  const measure = async (g) => {
    await Promise.all(sessions.map((u) => handshake(g.url, u.token))); // warm-up
    const cpu0 = cpuSeconds(g.pid) + cpuSeconds(auth.pid);
    const started = Date.now();
    const latencies = [];
    let nextIndex = 0;
    await Promise.all(sessions.map(async (u) => {
      while (nextIndex < HANDSHAKES) {
        nextIndex += 1;
        latencies.push(await handshake(g.url, u.token));
      }
    }));
    const wall = (Date.now() - started) / 1000;
    await sleep(200);
    const cpu = cpuSeconds(g.pid) + cpuSeconds(auth.pid) - cpu0;
    latencies.sort((a, b) => a - b);
    return { latencies, wall, cpu };
  };
  const warm = await measure(gw);
  const nocache = await measure(cold);
  await cold.stop('SIGKILL');

  // 3: RSS per idle authenticated connection.
  await sleep(500);
  const rss0 = rssKiB(gw.pid);
  const idle = [];
  const BATCH = 250;
  for (let i = 0; i < IDLE; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, IDLE - i) }, (_, j) =>
      awaitConnect(socketFor(gw.url, users[(i + j) % users.length].token, ws), { ms: 30000 }));
    idle.push(...(await Promise.all(batch)));
  }
  await sleep(2000);
  const connected = idle.filter((s) => s.connected).length;
  const rss1 = rssKiB(gw.pid);

  const lat = (r, p) => `${percentile(r.latencies, p).toFixed(1)} ms`;
  const rate = (r) => `${r.latencies.length} in ${r.wall.toFixed(1)} s (${(r.latencies.length / r.wall).toFixed(0)}/s)`;
  const cpuPer1000 = (r) => `${((r.cpu * 1000) / r.latencies.length).toFixed(2)} CPU-s`;
  const rows = [
    ['binaries', `target/${process.env.E2E_PROFILE}`, ''],
    [`handshakes (WebSocket, ${CONCURRENCY} concurrent, ${sessions.length} sessions)`, rate(warm), rate(nocache)],
    ['handshake latency p50', lat(warm, 50), lat(nocache, 50)],
    ['handshake latency p99', lat(warm, 99), lat(nocache, 99)],
    ['handshake latency max', lat(warm, 100), lat(nocache, 100)],
    ['server CPU per 1,000 handshakes (gateway + auth-service)', cpuPer1000(warm), cpuPer1000(nocache)],
    [`gateway RSS before / after ${connected} idle sockets (${users.length} users)`, `${(rss0 / 1024).toFixed(1)} MiB / ${(rss1 / 1024).toFixed(1)} MiB`, ''],
    ['gateway RSS per idle authenticated connection', `${((rss1 - rss0) / connected).toFixed(1)} KiB`, ''],
  ];
  console.log('| measure | session cache on (default 5s) | session cache off |\n|---|---|---|');
  for (const [k, v, w] of rows) console.log(`| ${k} | ${v} | ${w} |`);
  for (const s of idle) s.close();
}

await runBench(run, TOTAL_BUDGET_MS);
