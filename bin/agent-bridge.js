#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm install` / `npm run build`) when it is a build
// of the current sources. Otherwise `start` refuses with one line saying how to fix it, because a
// service must never run an old build, nor quietly pay seconds of run-time compiling on every
// restart; the one-shot commands (chat, agents, migrate, ...) run the TypeScript sources through tsx
// instead, slower but never stale. `npm run dev` always runs the sources.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildState } from './build-state.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const state = buildState(root);
if (state.current) {
  await import('../dist/main.js');
} else if (process.argv[2] === 'start') {
  console.error(
    `agent-bridge: ${state.reason}: run \`npm run build\` (or \`npm run dev\` to start from the sources)`,
  );
  process.exit(1);
} else {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: join(root, 'tsconfig.json') });
  await import('../src/main.ts');
}
