// Helpers for tests of the client SDK (`clients/js`, built into dist/): the
// demo's one-origin server in front of a stack, counting the requests that
// pass through it, and SDK clients that record their state changes.

import { onStop } from './child.mjs';
import { withTimeout } from './util.mjs';
import { startDemoServer } from '../../examples/web/serve.mjs';
import { createGatehouse } from '../../clients/js/dist/index.js';

export { createGatehouse, GatehouseError } from '../../clients/js/dist/index.js';

/**
 * The demo server proxying to `auth` and `gw`; `counts[path]` counts the
 * proxied HTTP requests per path (e.g. `counts['/auth/refresh']`).
 */
export async function startFront(auth, gw) {
  const counts = {};
  const front = await startDemoServer({
    authUrl: auth.httpUrl,
    gatewayUrl: gw.url,
    onRequest: (_, req) => {
      const path = new URL(req.url, 'http://x').pathname;
      counts[path] = (counts[path] ?? 0) + 1;
    },
  });
  onStop(() => front.close());
  return { ...front, counts, refreshes: () => counts['/auth/refresh'] ?? 0 };
}

const clients = new Set();
/** Disconnects every SDK client made so far (also done when the file stops). */
export function closeClients() {
  for (const gh of clients) gh.disconnect();
  clients.clear();
}
onStop(closeClients);

/** An SDK client through `front`; `gh.states` records every state change. */
export function sdkClient(front, opts = {}) {
  const gh = createGatehouse({
    authUrl: front.url,
    gatewayUrl: front.url,
    backoff: { initialMs: 200, maxMs: 1000 },
    ...opts,
  });
  gh.states = [];
  gh.on('state', (state, info) => gh.states.push(info.code ? `${state}:${info.code}` : state));
  clients.add(gh);
  return gh;
}

/** Resolves when `gh` reaches `state` (immediately if it is there). */
export function waitForState(gh, state, ms = 10000) {
  if (gh.state === state) return Promise.resolve();
  return withTimeout(
    new Promise((res) => {
      const off = gh.on('state', (s) => {
        if (s === state) {
          off();
          res();
        }
      });
    }),
    ms,
    `state ${state} (states so far: ${gh.states.join(' → ')})`,
  );
}

/** Registers a fresh user through the SDK; returns {username, email, password, id}. */
export async function sdkUser(gh, stack, prefix = 'sdk') {
  const username = stack.uniqueName(prefix);
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const email = `${username.toLowerCase()}@example.test`;
  const user = await gh.register({ username, email, password });
  return { ...user, password };
}
