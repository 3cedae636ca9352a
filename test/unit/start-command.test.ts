import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { START_NODE_FLAGS } from '../support/service-process.ts';

const root = join(import.meta.dirname, '..', '..');

describe('the start command (docs/decisions.md 12)', () => {
  it('npm start caps the old space, so a busy service stays near its live heap', () => {
    expect(START_NODE_FLAGS).toContain('--max-old-space-size=1024');
  });

  it('the Docker image starts the service with the same Node flags as npm start', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', ...START_NODE_FLAGS, 'bin/agent-bridge.js', 'start']);
  });
});
