/**
 * The compiled build and its freshness check, on a small project in a temporary folder laid out
 * like this one (bin/, scripts/build.mjs, tsconfig.json, src/, node_modules linked to ours).
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildState } from '../../bin/build-state.js';

const repo = join(import.meta.dirname, '..', '..');
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ab-build-'));
  for (const path of ['bin', 'scripts/build.mjs', 'tsconfig.json']) {
    cpSync(join(repo, path), join(root, path), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(root, 'src', 'lib'), { recursive: true });
  writeFileSync(join(root, 'src', 'lib', 'greeting.ts'), "export const greeting: string = 'hello';\n");
  // Says which tree ran it and with which arguments.
  writeFileSync(
    join(root, 'src', 'main.ts'),
    [
      "import { greeting } from './lib/greeting.ts';",
      "const from: string = import.meta.url.includes('/dist/') ? 'dist' : 'src';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample project's source text
      "console.log(`${greeting} from ${from}: ${process.argv.slice(2).join(' ')}`);",
      '',
    ].join('\n'),
  );
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const build = () => spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/agent-bridge.js', ...args], { cwd: root, encoding: 'utf8' });

/** Makes a file look edited after the build, whatever the file system's time resolution. */
function touchLater(file: string): void {
  const later = new Date(Date.now() + 5_000);
  utimesSync(join(root, file), later, later);
}

describe('npm run build + bin/agent-bridge.js', () => {
  it('compiles every source to dist/, and start runs it while it is current', () => {
    expect(buildState(root)).toEqual({ current: false, reason: 'dist/ has not been built' });
    const built = build();
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(/build: 2 files/);
    expect(existsSync(join(root, 'dist', 'lib', 'greeting.js'))).toBe(true);
    expect(readFileSync(join(root, 'dist', 'main.js'), 'utf8')).toContain('./lib/greeting.js');
    expect(buildState(root)).toEqual({ current: true });

    const run = cli('start', '--role', 'worker');
    expect(run.stdout).toBe('hello from dist: start --role worker\n');
    expect(run.status).toBe(0);
  });

  it('start refuses a dist/ older than a source, in one line that says to run npm run build', () => {
    expect(build().status).toBe(0);
    touchLater('src/lib/greeting.ts');

    const run = cli('start');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      'agent-bridge: dist/ is older than src/lib/greeting.ts: run `npm run build` (or `npm run dev` to start from the sources)',
    ]);

    expect(build().status).toBe(0);
    expect(cli('start').stdout).toBe('hello from dist: start\n');
  });

  it('start refuses to run without a build', () => {
    const run = cli('start');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('agent-bridge: dist/ has not been built: run `npm run build`');
  });

  it('other commands run the sources through tsx while dist/ is stale', () => {
    expect(build().status).toBe(0);
    writeFileSync(join(root, 'src', 'lib', 'greeting.ts'), "export const greeting: string = 'hi';\n");
    touchLater('src/lib/greeting.ts');
    const run = cli('agents', 'list');
    expect(run.stdout).toBe('hi from src: agents list\n');
    expect(run.status).toBe(0);
  });

  it('a new or a removed source makes the build stale', () => {
    expect(build().status).toBe(0);
    writeFileSync(join(root, 'src', 'lib', 'extra.ts'), 'export const extra = 1;\n');
    expect(buildState(root)).toEqual({ current: false, reason: 'src/lib/extra.ts is newer than dist/' });
    expect(build().status).toBe(0);
    expect(existsSync(join(root, 'dist', 'lib', 'extra.js'))).toBe(true);

    rmSync(join(root, 'src', 'lib', 'extra.ts'));
    expect(buildState(root)).toEqual({
      current: false,
      reason: 'src/lib/extra.ts was removed after dist/ was built',
    });
    expect(build().status).toBe(0);
    // A clean build: the output of a removed source does not linger.
    expect(existsSync(join(root, 'dist', 'lib', 'extra.js'))).toBe(false);
  });

  it('a broken import fails the build and keeps the previous dist/', () => {
    expect(build().status).toBe(0);
    writeFileSync(join(root, 'src', 'lib', 'greeting.ts'), "export { greeting } from './missing.ts';\n");
    const failed = build();
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('no such file: ./missing.ts');
    expect(readFileSync(join(root, 'dist', 'lib', 'greeting.js'), 'utf8')).toContain('hello');
    expect(buildState(root).current).toBe(false);
  });
});

describe('the project build (dist/, built by the test setup)', () => {
  it.each(['sqlite', 'postgresql'])(
    "%s: the generated client reads Prisma's query compiler from a file, the same text the package exports",
    async (provider) => {
      const name = `query_compiler_bg.${provider}.wasm-base64`;
      const client = readFileSync(join(repo, 'dist', 'generated', provider, 'internal', 'class.js'), 'utf8');
      expect(client).toContain(`import("../../../vendor/${name}.js")`);
      const fromFile = await import(join(repo, 'dist', 'vendor', `${name}.js`));
      const fromPackage = await import(`@prisma/client/runtime/${name}.mjs`);
      expect(fromFile.wasm.length).toBeGreaterThan(1_000_000);
      expect(fromFile.wasm).toBe(fromPackage.wasm);
    },
  );
});
