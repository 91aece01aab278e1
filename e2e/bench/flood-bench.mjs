// Front-door flood benchmark (not part of the test suite):
//   node bench/flood-bench.mjs
// An attacker (bounded: at most 15,000 connection attempts within 60 s,
// loopback only, from 127.0.0.2-127.0.0.9) mixes the attacks of the
// front-door issue while 1,000 real sockets (250 users x 4 devices, spread
// over 250 loopback addresses 127.0.1.x) connect with the official client:
//   - 40 engine.io WebSockets that never CONNECT, each sending a binary
//     header claiming 10,000 attachments and then 480 frames of 20 KB;
//   - 8,000 slow-loris TCP connections sending one header line every 3 s;
//   - 2,000 sessions sending a garbage token;
//   - 3,000 sessions that never send CONNECT, all from 127.0.0.9.
// Three runs in one sitting on the same binary: the real users alone; with
// the attack and the default front door; with the attack and the front door
// relaxed by configuration (no rate or caps, 60 s header timeout, 10 s
// CONNECT_TIMEOUT, 2 s grace). Reports, per run: real sockets connected,
// handshake p50/p99, gateway peak RSS and peak open files.

import { connect as tcpConnect } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';

import { stack, runBench, pct } from './harness.mjs';

const { Stack, newUser, socketFor, awaitConnect, sleep } = stack;

const REAL_USERS = 250;
const DEVICES = 4;
const ATTACK_MS = 60_000;
const MAX_ATTEMPTS = 15_000;
const ws = { transports: ['websocket'], timeout: 20000 };

const RELAXED = {
  HANDSHAKE_RATE_PER_ADDRESS: '0',
  MAX_PENDING_PER_ADDRESS: '1000000',
  MAX_PENDING_SESSIONS: '1000000',
  MAX_PENDING_CONNECTIONS: '1000000',
  HEADER_READ_TIMEOUT: '60s',
  CONNECT_TIMEOUT: '10s',
  REFUSED_SESSION_GRACE: '2s',
};
// The bench's real users come from 250 loopback addresses: the default
// per-address limits apply to the attacker exactly as in production.
const DEFAULTS = {
  HANDSHAKE_RATE_PER_ADDRESS: '20',
  MAX_PENDING_PER_ADDRESS: '32',
  MAX_PENDING_SESSIONS: '4096',
  MAX_PENDING_CONNECTIONS: '2048',
};

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const openFiles = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/** Samples peak RSS and open files of `pid` until stopped. */
function sampler(pid) {
  const peak = { rss: 0, fds: 0 };
  const timer = setInterval(() => {
    try {
      peak.rss = Math.max(peak.rss, rssKiB(pid));
      peak.fds = Math.max(peak.fds, openFiles(pid));
    } catch {
      // the process is gone
    }
  }, 100);
  return { peak, stop: () => clearInterval(timer) };
}

/** The attacker: resolves with the number of attempts once its time is up. */
async function attack(url, port) {
  let attempts = 0;
  const open = new Set();
  const deadline = Date.now() + ATTACK_MS;
  const attackerIp = (i) => `127.0.0.${2 + (i % 7)}`;
  const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const rawWs = (localAddress) => {
    attempts += 1;
    const s = new WebSocket(wsUrl, { localAddress });
    s.on('error', () => {});
    open.add(s);
    s.on('close', () => open.delete(s));
    return s;
  };
  const loris = (localAddress) => {
    attempts += 1;
    const sock = tcpConnect({ port, host: '127.0.0.1', localAddress });
    sock.on('error', () => {});
    sock.on('connect', () => sock.write('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n'));
    let n = 0;
    const timer = setInterval(() => {
      if (Date.now() > deadline) sock.destroy();
      else sock.write(`X-${n++}: 1\r\n`);
    }, 3000);
    sock.on('close', () => clearInterval(timer));
    open.add(sock);
    sock.on('close', () => open.delete(sock));
  };
  const frame = Buffer.alloc(20 * 1024, 1);
  // Binary floods first, then the rest spread over the minute.
  for (let i = 0; i < 40; i++) {
    const s = rawWs(attackerIp(i));
    s.on('open', async () => {
      s.send('4510000-["flood"]');
      for (let k = 0; k < 480 && s.readyState === WebSocket.OPEN; k++) {
        s.send(frame);
        if (k % 40 === 0) await sleep(5);
      }
    });
  }
  const plan = [
    ...Array.from({ length: 8000 }, (_, i) => () => loris(attackerIp(i))),
    ...Array.from({ length: 2000 }, (_, i) => () => {
      const s = rawWs(attackerIp(i));
      s.on('open', () => s.send('40{"token":"garbage"}'));
    }),
    ...Array.from({ length: 3000 }, () => () => rawWs('127.0.0.9')),
  ];
  // Interleave the kinds and spread them evenly over 50 s.
  plan.sort(() => Math.random() - 0.5);
  const every = 50_000 / plan.length;
  for (let i = 0; i < plan.length && attempts < MAX_ATTEMPTS && Date.now() < deadline; i++) {
    plan[i]();
    if (i % 20 === 0) await sleep(every * 20);
  }
  while (Date.now() < deadline) await sleep(200);
  for (const s of open) (s.terminate ?? s.destroy).call(s);
  return attempts;
}

/** Connects every real device; resolves with latencies and failures. */
async function realUsers(url, users) {
  const latencies = [];
  let failed = 0;
  const sockets = [];
  await Promise.all(users.map(async (user, u) => {
    for (let d = 0; d < DEVICES; d++) {
      await sleep(Math.random() * 40_000 / DEVICES);
      const s = socketFor(url, user.token, { ...ws, localAddress: `127.0.1.${1 + (u % 250)}`, reconnection: false });
      const t0 = performance.now();
      try {
        await awaitConnect(s, { ms: 20000 });
        latencies.push(performance.now() - t0);
        sockets.push(s);
      } catch {
        failed += 1;
      }
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), failed, sockets };
}

async function scenario(stackInstance, auth, users, name, env, withAttack) {
  const gw = await stackInstance.startGateway({ auth, env: { ...env, RUST_LOG: 'warn,realtime_gateway::startup=info' } });
  const port = Number(gw.addr.split(':').pop());
  await sleep(500);
  const idle = rssKiB(gw.pid);
  const sample = sampler(gw.pid);
  const [real, attempts] = await Promise.all([
    realUsers(gw.url, users),
    withAttack ? attack(gw.url, port) : Promise.resolve(0),
  ]);
  sample.stop();
  const connected = real.sockets.filter((s) => s.connected).length;
  real.sockets.forEach((s) => s.close());
  await gw.stop('SIGTERM');
  return {
    name, attempts, connected, failed: real.failed,
    p50: pct(real.latencies, 50), p99: pct(real.latencies, 99),
    idleMiB: idle / 1024, peakMiB: sample.peak.rss / 1024, peakFds: sample.peak.fds,
  };
}

async function run() {
  const s = new Stack({ name: 'flood' });
  const auth = await s.startAuth();
  console.error(`binaries: target/${process.env.E2E_PROFILE}`);
  const users = [];
  for (let i = 0; i < REAL_USERS; i += 10) {
    users.push(...(await Promise.all(Array.from({ length: 10 }, () => newUser(auth, 'flood')))));
  }
  const rows = [
    await scenario(s, auth, users, 'real users alone (default front door)', DEFAULTS, false),
    await scenario(s, auth, users, 'real users + attack, default front door', DEFAULTS, true),
    await scenario(s, auth, users, 'real users + attack, front door relaxed', RELAXED, true),
  ];
  console.log('| run | attack attempts | real sockets connected | handshake p50 | p99 | gateway RSS idle → peak | peak open files |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.attempts} | ${r.connected} of ${REAL_USERS * DEVICES} (${r.failed} failed) | ${r.p50?.toFixed(1)} ms | ${r.p99?.toFixed(1)} ms | ${r.idleMiB.toFixed(1)} → ${r.peakMiB.toFixed(1)} MiB | ${r.peakFds} |`);
  }
}

await runBench(run, 10 * 60 * 1000);
