// Protocol fuzzing of the gateway with a raw client of our own (no
// socket.io-client): malformed engine.io and socket.io packets, wrong packet
// types, bogus binary-attachment counts, huge namespaces and ack ids,
// non-UTF-8 and oversized frames over WebSocket; unknown sids, bad query
// strings and garbage bodies over HTTP long-polling; then a bounded run of
// random packets built from the same grammar. After each group the gateway
// has not panicked and still serves a real client; frames that must close
// the connection (invalid UTF-8, oversized) do; its memory returns near the
// baseline at the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  Stack, newUser, connect, ask, sleep, rawWebSocket, closedWithin, nextText,
  pollingOpen, pollingGet, pollingPost, rssKiB, slowHeaders,
} from '../lib/stack.mjs';

let auth, gw, user;

before(async () => {
  const stack = new Stack({ name: 'protocol_fuzz' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({ auth, env: { CONNECT_TIMEOUT: '2s', HEADER_READ_TIMEOUT: '1s' } });
  user = await newUser(auth, 'fuzz');
});

/** The gateway still serves a real client, and never panicked. */
async function stillServes(what) {
  assert.equal(gw.child.exited, false, `gateway exited after ${what}`);
  const s = await connect(gw.url, user.token, { transports: ['websocket'] });
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username }, what);
  s.close();
  assert.ok(!gw.child.lines.some((l) => l.includes('panicked')), `panic after ${what}`);
}

/** A raw WebSocket session, optionally past the socket.io CONNECT. */
async function session({ authenticated }) {
  const { ws } = await rawWebSocket(gw.url);
  if (authenticated) {
    ws.send(`40${JSON.stringify({ token: user.token })}`);
    const reply = await nextText(ws);
    assert.ok(reply.startsWith('40{'), reply);
  }
  return ws;
}

/** Sends `frames` on a fresh session, waits briefly, and drops it. */
async function survives(frames, { authenticated = true } = {}) {
  const ws = await session({ authenticated });
  const answers = [];
  ws.on('message', (d) => answers.push(d.toString()));
  for (const f of frames) {
    if (ws.readyState !== ws.OPEN) break;
    ws.send(f);
  }
  await closedWithin(ws, 400);
  ws.terminate();
  return answers;
}

const ENGINE = ['', '9', 'x', '0', '0{}', '1', '3', '5', '6', '7', '4', '2probe', '3probe', 'b', '\u0000'];
const SOCKET = [
  '4', '49', '4x', '40', '40{', '40{"token":1}', '40[]', '40/nope,', `40/${'n'.repeat(100000)},{}`,
  '41', '41/nope,', '42', '42[', '42["x"', '42[]', '42{}', '42[1]', '42["whoami"', '42["whoami"]]',
  '4299999999999999999999999["whoami"]', '42-1["whoami"]', '42/nope,["whoami"]',
  '43', '43[]', '431[]', '4399999999999999999999[]', '44', '44{"message":"x"}',
  '45-["x",{"_placeholder":true,"num":0}]', '451-["x",{"_placeholder":true,"num":0}]',
  '4599999999-["x",{"_placeholder":true,"num":0}]', '45abc-["x"]', '46', '461-[{"_placeholder":true,"num":5}]',
  `42["message",{"room":"public:x","body":"${'b'.repeat(64)}"}]`,
  `42["room:join",{"room":"${'r'.repeat(10000)}"}]`,
];

test('malformed engine.io packets: the gateway neither panics nor stops serving', async () => {
  for (const frame of ENGINE) {
    await survives([frame], { authenticated: false });
    await survives([frame], { authenticated: true });
  }
  await stillServes('engine.io packets');
});

test('malformed socket.io packets, huge namespaces and ack ids, bogus attachments: no panic, still serving', async () => {
  for (const frame of SOCKET) {
    await survives([frame], { authenticated: false });
    await survives([frame], { authenticated: true });
  }
  // A binary event announcing attachments, then frames that are not them.
  await survives(['451-["x",{"_placeholder":true,"num":0}]', '42["whoami"]', '40']);
  await survives(['452-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', Buffer.from([1, 2, 3])]);
  await stillServes('socket.io packets');
});

test('binary garbage, invalid UTF-8 and oversized frames', async () => {
  await survives([randomBytes(64), randomBytes(1)], { authenticated: false });
  await survives([randomBytes(64)]);
  // Invalid UTF-8 in a text frame: ws only sends valid text, so write the
  // frame by hand (FIN + text opcode, masked, 4 bytes 0xff).
  const { ws } = await rawWebSocket(gw.url);
  const mask = randomBytes(4);
  const payload = Buffer.from([0xff, 0xfe, 0x34, 0x32]).map((b, i) => b ^ mask[i % 4]);
  ws._socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]));
  assert.ok(await closedWithin(ws, 3000), 'invalid UTF-8 closes the connection');
  // Far over the engine's cap (MAX_EVENT_BYTES + 4 KiB): closed, not buffered.
  const big = await session({ authenticated: true });
  big.send(`42["message",{"room":"public:x","body":"${'x'.repeat(512 * 1024)}"}]`);
  assert.ok(await closedWithin(big, 3000), 'an oversized frame closes the connection');
  await stillServes('binary and oversized frames');
});

test('long-polling: unknown sids, bad queries, garbage bodies', async () => {
  const sid = 'AAAAAAAAAAAAAAAAAAAAAA';
  assert.equal((await pollingGet(gw.url, sid, 3000)).status, 400);
  assert.equal(await pollingPost(gw.url, sid, '42["whoami"]'), 400);
  for (const query of ['EIO=3&transport=polling', 'EIO=x&transport=polling', 'EIO=4&transport=nope', 'EIO=4', 'transport=polling', `EIO=4&transport=polling&sid=${'s'.repeat(5000)}`]) {
    const r = await fetch(`${gw.url}/socket.io/?${query}`, { signal: AbortSignal.timeout(3000) });
    await r.text();
    assert.ok(r.status >= 400 && r.status < 500, `${query}: ${r.status}`);
  }
  const open = await pollingOpen(gw.url);
  assert.equal(open.status, 200);
  for (const body of ['', '\u001e\u001e', '4', '42[', '5', randomBytes(32).toString('latin1'), `4${'x'.repeat(200000)}`]) {
    const status = await pollingPost(gw.url, open.sid, body);
    assert.ok(status < 500, `POST ${JSON.stringify(body.slice(0, 20))}: ${status}`);
  }
  await stillServes('long-polling');
});

test('a slow-loris handshake is cut at the header timeout', async () => {
  const port = Number(new URL(gw.url).port);
  const { closedAt, started } = await slowHeaders(port, { everyMs: 200, ms: 5000 });
  assert.ok(closedAt !== undefined && closedAt - started < 3000, 'closed within about HEADER_READ_TIMEOUT');
  await stillServes('slow headers');
});

test('500 random packets from the grammar, then memory back near the baseline', async () => {
  const baseline = rssKiB(gw.pid);
  const pieces = [...ENGINE, ...SOCKET.filter((p) => p.length < 2000), '{', '}', '[', ']', '"', ',', '-', '/', '0', '1', '9', 'null', '"auth:refresh"', '"rpc"'];
  const pick = () => pieces[Math.floor(Math.random() * pieces.length)];
  const deadline = Date.now() + 30000;
  for (let i = 0; i < 50 && Date.now() < deadline; i++) {
    const frames = Array.from({ length: 10 }, () => {
      const parts = Array.from({ length: 1 + Math.floor(Math.random() * 4) }, pick);
      return Math.random() < 0.1 ? randomBytes(1 + Math.floor(Math.random() * 64)) : parts.join('');
    });
    await survives(frames, { authenticated: Math.random() < 0.7 });
  }
  await stillServes('random packets');
  await sleep(3000);
  const after = rssKiB(gw.pid);
  assert.ok(after < baseline + 32 * 1024, `RSS ${baseline} KiB → ${after} KiB`);
});
