// Shared set-up of the benchmarks: they run outside node:test (no per-file
// hooks; call stopAll() at the end) and prefer release binaries when built.
// Import this module before lib/stack.mjs is used.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

process.env.E2E_NO_TEST_HOOKS = '1';
const stackUrl = new URL('../lib/stack.mjs', import.meta.url);
const { ROOT } = await import(stackUrl);
if (!process.env.E2E_PROFILE) {
  const built = (name) => existsSync(join(ROOT, 'target', 'release', name));
  process.env.E2E_PROFILE = built('realtime-gateway') && built('auth-service') ? 'release' : 'debug';
}

/** lib/stack.mjs, loaded after the environment above is set. */
export const stack = await import(stackUrl);

/** Runs `body` within `budgetMs`, then stops every child and exits. */
export async function runBench(body, budgetMs) {
  try {
    await stack.withTimeout(body(), budgetMs, 'benchmark');
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  } finally {
    await stack.stopAll();
    process.exit();
  }
}

/** User + system CPU seconds a process has used so far (from /proc). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The p-th percentile of an ascending array (nearest rank). */
export const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
