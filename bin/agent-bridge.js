#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so there is no build step and no stale output.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
register({ tsconfig: join(root, 'tsconfig.json') });
const { main } = await import('../src/cli.ts');
await main(process.argv);
