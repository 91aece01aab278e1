// Soak run (not part of the test suite; figures go to BENCHMARKS.md):
//   node bench/soak.mjs            (SOAK_MINUTES=30, SOAK_CYCLES_PER_SEC=4)
// Bounded churn at a steady rate against one auth-service and one gateway:
// each cycle logs a user in, connects, joins a room, sends a message (seen
// by a long-lived watcher socket), refreshes over HTTP and in band
// (`auth:refresh`), logs out (the socket is closed by the revocation) and
// checks the closed session's token is refused on reconnect. Samples RSS,
// open files and threads of both services, and the gateway's socket gauge,
// at the start, the middle and the end; at most SOAK_MINUTES, loopback only.

import { readFileSync, readdirSync } from 'node:fs';

import { stack, runBench } from './harness.mjs';

const { Stack, newUser, connect, ask, next, sleep, refusal, disconnected, refreshTokens } = stack;

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SOAK_CYCLES_PER_SEC ?? 4);
const USERS = 20;
const ROOM = 'public:soak';

function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)[1]),
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

async function gauge(gw, name) {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

async function cycle(auth, gw, user, watcher) {
  const session = await user.login();
  const s = await connect(gw.url, session.token, { transports: ['websocket'], reconnection: false });
  try {
    await steps(auth, gw, s, session, watcher);
  } finally {
    s.close();
  }
}

async function steps(auth, gw, s, session, watcher) {
  const ok = await ask(s, 'room:join', { room: ROOM });
  if (!ok.ok) throw new Error(`join: ${JSON.stringify(ok)}`);
  const seen = next(watcher, 'message', 10000);
  await ask(s, 'message', { room: ROOM, body: `c${Date.now()}` });
  await seen;
  const fresh = await refreshTokens(auth, session.refreshToken);
  const refreshed = await ask(s, 'auth:refresh', { token: fresh.token });
  if (!refreshed.ok) throw new Error(`auth:refresh: ${JSON.stringify(refreshed)}`);
  const closed = disconnected(s, 10000);
  closed.catch(() => {}); // awaited below; never an unhandled rejection
  const out = await auth.api.logout({ refreshToken: fresh.refreshToken });
  if (out.status !== 204) throw new Error(`logout: ${out.status}`);
  await closed;
  const { message } = await refusal(gw.url, fresh.token, { transports: ['websocket'], settleMs: 50 });
  if (message !== 'session_revoked') throw new Error(`reconnect after logout: ${message}`);
}

async function run() {
  const s = new Stack({ name: 'soak' });
  const auth = await s.startAuth({ env: { RUST_LOG: 'warn,auth_service::startup=info' } });
  const gw = await s.startGateway({ auth, env: { RUST_LOG: 'warn,realtime_gateway::startup=info', MAX_CONNECTIONS_PER_USER: '50' } });
  console.error(`binaries: target/${process.env.E2E_PROFILE}; ${MINUTES} min at ${RATE} cycles/s`);
  const users = [];
  for (let i = 0; i < USERS; i++) users.push(await newUser(auth, 'soak'));
  const watcherUser = await newUser(auth, 'watch');
  const watcher = await connect(gw.url, watcherUser.token, { transports: ['websocket'] });
  await ask(watcher, 'room:join', { room: ROOM });

  const rows = [];
  const take = async (label, cycles, failures) => {
    rows.push({
      label, cycles, failures,
      auth: sample(auth.child.pid), gw: sample(gw.pid),
      sockets: await gauge(gw, 'gatehouse_gateway_connections'),
    });
    console.error(`${label}: ${cycles} cycles, ${failures} failures`);
  };
  // Warm up, then the start sample.
  for (let i = 0; i < 20; i++) await cycle(auth, gw, users[i % USERS], watcher);
  await take('start', 0, 0);
  const started = Date.now();
  const end = started + MINUTES * 60000;
  let cycles = 0;
  let failures = 0;
  let middleTaken = false;
  const inFlight = new Set();
  while (Date.now() < end) {
    const due = started + (cycles * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const user = users[cycles % USERS];
    const p = cycle(auth, gw, user, watcher)
      .catch((e) => {
        failures += 1;
        if (failures <= 5) console.error(`cycle failed: ${e.message}`);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    cycles += 1;
    if (!middleTaken && Date.now() - started >= (MINUTES * 60000) / 2) {
      middleTaken = true;
      await take('middle', cycles, failures);
    }
  }
  await Promise.all(inFlight);
  await sleep(3000);
  await take('end', cycles, failures);
  watcher.close();

  console.log(`| sample | cycles | failed | auth-service RSS | open files | threads | gateway RSS | open files | threads | gateway sockets |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const mib = (k) => `${(k / 1024).toFixed(1)} MiB`;
    console.log(`| ${r.label} | ${r.cycles} | ${r.failures} | ${mib(r.auth.rssKiB)} | ${r.auth.fds} | ${r.auth.threads} | ${mib(r.gw.rssKiB)} | ${r.gw.fds} | ${r.gw.threads} | ${r.sockets} |`);
  }
}

await runBench(run, (MINUTES + 5) * 60000);
