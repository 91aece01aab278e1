// The demo's one origin, as the Kubernetes Ingress and compose nginx route
// it: static files of the demo, the SDK build and the socket.io-client ESM
// bundle, plus a reverse proxy of `/auth/*` and `/.well-known/*` to the
// auth-service and `/socket.io/*` (WebSocket upgrades included) to the
// gateway, so the browser needs no CORS. Node built-ins only: a dev server
// for a demo does not justify a proxy dependency.
//
//   node examples/web/serve.mjs   (AUTH_URL, GATEWAY_URL, DEMO_ADDR from the environment)

import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SDK = resolve(HERE, '..', '..', 'clients', 'js');

/** URL prefix → directory of static files. */
const STATIC = [
  ['/sdk/', join(SDK, 'dist')],
  ['/vendor/socket.io-client/', join(SDK, 'node_modules', 'socket.io-client', 'dist')],
  ['/', join(HERE, 'public')],
];

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml' };

/** Which upstream a path goes to: 'auth', 'gateway' or undefined (static). */
export function upstreamOf(path) {
  if (path.startsWith('/auth/') || path.startsWith('/.well-known/')) return 'auth';
  if (path.startsWith('/socket.io/')) return 'gateway';
  return undefined;
}

async function serveStatic(req, res) {
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  const [prefix, dir] = STATIC.find(([p]) => path.startsWith(p));
  const rel = normalize(path.slice(prefix.length) || 'index.html');
  const file = resolve(dir, rel.endsWith(sep) || rel === '.' ? join(rel, 'index.html') : rel);
  if (!file.startsWith(dir + sep) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404).end();
  }
}

function forwardedHeaders(req) {
  const prior = req.headers['x-forwarded-for'];
  const addr = req.socket.remoteAddress ?? '';
  return { ...req.headers, 'x-forwarded-for': prior ? `${prior}, ${addr}` : addr };
}

function proxy(target, req, res) {
  const url = new URL(req.url, target);
  const up = httpRequest(url, { method: req.method, headers: forwardedHeaders(req) }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'unavailable', message: 'upstream unreachable' }));
  });
  req.pipe(up);
}

function proxyUpgrade(target, req, socket, head, tunnels) {
  tunnels.add(socket);
  const { hostname, port } = new URL(target);
  const up = connect({ host: hostname, port: Number(port) }, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (const [k, v] of Object.entries(forwardedHeaders(req))) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head?.length) up.write(head);
    up.pipe(socket).pipe(up);
  });
  const close = () => {
    tunnels.delete(socket);
    up.destroy();
    socket.destroy();
  };
  up.on('error', close);
  socket.on('error', close);
  up.on('close', close);
  socket.on('close', close);
}

/**
 * Starts the demo server on `addr` (host:port, port 0 allowed). `onRequest(upstream, req)`
 * sees every proxied request (tests count `/auth/refresh` with it).
 * Resolves `{url, server, close()}`.
 */
export async function startDemoServer({ authUrl, gatewayUrl, addr = '127.0.0.1:0', onRequest = () => {} }) {
  const targets = { auth: authUrl, gateway: gatewayUrl };
  const tunnels = new Set();
  const server = createServer((req, res) => {
    const up = upstreamOf(req.url);
    if (!up) return void serveStatic(req, res);
    onRequest(up, req);
    proxy(targets[up], req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    if (upstreamOf(req.url) !== 'gateway') return void socket.destroy();
    onRequest('gateway', req);
    proxyUpgrade(targets.gateway, req, socket, head, tunnels);
  });
  const i = addr.lastIndexOf(':');
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(Number(addr.slice(i + 1)), addr.slice(0, i), res);
  });
  const { address, port } = server.address();
  return {
    url: `http://${address}:${port}`,
    server,
    close: () =>
      new Promise((res) => {
        for (const s of tunnels) s.destroy();
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const demo = await startDemoServer({
    authUrl: process.env.AUTH_URL ?? 'http://127.0.0.1:8080',
    gatewayUrl: process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000',
    addr: process.env.DEMO_ADDR ?? '127.0.0.1:8000',
  });
  console.log(`demo listening on ${demo.url}`);
}
