/**
 * The end-to-end tests spawn bin/agent-bridge.js, which runs dist/ and refuses to `start` a stale
 * one: compile it first when a source changed since the last build (~1 s with esbuild), so the
 * spawned processes run the code under test. In-process tests import src/ directly and need no build.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildState } from '../../bin/build-state.js';

export default function setup(): void {
  const root = join(import.meta.dirname, '..', '..');
  if (buildState(root).current) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
