// Revocation latency benchmark (not part of the test suite):
//   node bench/revocation-bench.mjs
// For each of BENCH_REVOCATIONS (250) rounds: log in (a new session), open
// a socket with the official client, POST /auth/logout with the session's
// refresh token, and time from the logout response to the socket's
// `disconnect`. Two set-ups, measured in one run:
//   - same replica: the logout goes to the auth-service the gateway watches
//     (its WatchRevocations stream is woken at once);
//   - other replica: the logout goes to a second auth-service on the same
//     database, so the watched replica finds it by polling the log.
// Prints a markdown table. Bounded in count and time.

import { stack, runBench } from './harness.mjs';

const { Stack, newUser, socketFor, awaitConnect, disconnected } = stack;

const ROUNDS = Math.min(Number(process.env.BENCH_REVOCATIONS ?? 250), 2000);
const BUDGET_MS = 6 * 60 * 1000;
const ws = { transports: ['websocket'], timeout: 10000 };

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function rounds(gateway, user, logoutVia) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const session = await user.login();
    const socket = await awaitConnect(socketFor(gateway.url, session.token, ws), { ms: 10000 });
    const gone = disconnected(socket, 10000);
    const response = await logoutVia.api.logout({ refreshToken: session.refreshToken });
    const t0 = process.hrtime.bigint();
    if (response.status !== 204) throw new Error(`logout: ${response.status}`);
    await gone;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    socket.close();
  }
  return samples.sort((a, b) => a - b);
}

async function run() {
  const stack = new Stack({ name: 'revbench' });
  const watched = await stack.startAuth();
  const other = await stack.startAuth({ name: 'auth-other' });
  const gateway = await stack.startGateway({ auth: watched, env: { RUST_LOG: 'warn,realtime_gateway::startup=info' } });
  console.error(`binaries: target/${process.env.E2E_PROFILE}; ${ROUNDS} revocations per set-up`);
  const user = await newUser(watched, 'rev');
  const same = await rounds(gateway, user, watched);
  const cross = await rounds(gateway, user, other);
  const row = (name, s) => `| ${name} | ${s.length} | ${percentile(s, 50).toFixed(1)} ms | ${percentile(s, 99).toFixed(1)} ms | ${s[s.length - 1].toFixed(1)} ms |`;
  console.log(`binaries: target/${process.env.E2E_PROFILE}\n`);
  console.log('| logout → socket disconnect | n | p50 | p99 | max |\n|---|---|---|---|---|');
  console.log(row('logout on the watched auth-service replica', same));
  console.log(row('logout on another auth-service replica', cross));
}

await runBench(run, BUDGET_MS);
