// A minimal application backend answering Gatehouse's hooks, in plain Node:
//
//   HOOK_SECRET=whsec_... PORT=4000 node examples/hook-server/server.mjs
//
// and start the gateway with ROOM_AUTH_URL=http://127.0.0.1:4000/room-auth,
// RPC_URL=http://127.0.0.1:4000/rpc and the same HOOK_SECRET.
//
// - POST /room-auth: `team:<name>` rooms are open to the team's members (the
//   TEAMS map below, by username), `doc:<id>` rooms to everyone, with
//   presence; anything else is refused.
// - POST /rpc: `echo` answers its params; `time` the server time; anything
//   else the application error `unknown_method`.
//
// Every request is verified first (signature and timestamp); the user in the
// body is the gateway's word for who is calling (it comes from the token),
// so this server can trust it once the signature checks out.

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import { keyOf, verify } from './verify.mjs';

/** Which usernames are in which team. */
const TEAMS = new Map([['red', new Set(['ada', 'grace'])]]);

/** Decides a room-authorization call: `{allow, presence?}`. */
export function authorizeRoom({ user, room }) {
  const team = room.match(/^team:(.+)$/)?.[1];
  if (team) return { allow: TEAMS.get(team)?.has(user.username) ?? false };
  if (room.startsWith('doc:')) return { allow: true, presence: true };
  return { allow: false };
}

/** Answers an RPC call: `{result}` or `{error: {code, message}}`. */
export function callMethod({ user, method, params }) {
  switch (method) {
    case 'echo':
      return { result: { echo: params, caller: user.username } };
    case 'time':
      return { result: { now: new Date().toISOString() } };
    default:
      return { error: { code: 'unknown_method', message: `no method ${method}` } };
  }
}

const ROUTES = { '/room-auth': authorizeRoom, '/rpc': callMethod };
const MAX_BODY = 64 * 1024;

/** Starts the hook server on `port` (0 = any) with `secret`. */
export function startHookServer({ secret, port = 0, host = '127.0.0.1' }) {
  const key = keyOf(secret);
  const server = createServer((req, res) => {
    const route = ROUTES[req.url];
    if (req.method !== 'POST' || !route) return void res.writeHead(404).end();
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!verify(key, req.headers, body)) return void res.writeHead(401).end();
      let answer;
      try {
        answer = route(JSON.parse(body));
      } catch {
        return void res.writeHead(400).end();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startHookServer({ secret: process.env.HOOK_SECRET, port: Number(process.env.PORT ?? 4000) });
  console.log(`hook server on http://127.0.0.1:${server.address().port} (/room-auth, /rpc)`);
}
