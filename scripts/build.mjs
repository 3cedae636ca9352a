#!/usr/bin/env node
// Compiles src/**/*.ts to dist/**/*.js, one output file per source file (the same esbuild transform
// tsx applies at run time, done once), and records which sources it compiled in dist/.build-info.json
// so bin/agent-bridge.js can tell a current build from a stale one (bin/build-state.js).
//   node scripts/build.mjs        (npm run build; runs on install, after the Prisma clients are generated)
// Every .ts file under src/ is an entry point, so new files are picked up without listing them.
// Type checking is not done here: `npm run typecheck` (tsc --noEmit) does it in CI.
// AGENT_BRIDGE_SKIP_BUILD=1 skips it (the Dockerfile's dependency stage, which has no sources yet).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUILD_INFO, listSources } from '../bin/build-state.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = join(root, 'dist');

if (process.env.AGENT_BRIDGE_SKIP_BUILD === '1') {
  console.log('build: skipped (AGENT_BRIDGE_SKIP_BUILD=1)');
  process.exit(0);
}

const started = performance.now();
// Each source's modification time as it was BEFORE compiling: a file saved during the build is
// newer than what is recorded, so the build counts as stale for it.
const sources = Object.fromEntries(listSources(src).map((file) => [file, statSync(join(src, file)).mtimeMs]));

/**
 * Relative imports stay imports of the sibling output file (`./x.ts` becomes `./x.js`) instead of
 * being bundled in: the build is a per-file transpile. Package imports stay as they are.
 */
const keepModules = {
  name: 'keep-modules',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (!args.path.endsWith('.ts')) {
        return { errors: [{ text: `relative imports must name a .ts file: ${args.path}` }] };
      }
      if (!existsSync(target)) return { errors: [{ text: `no such file: ${args.path}` }] };
      if (relative(src, target).startsWith('..')) {
        return { errors: [{ text: `imports outside src/ are not compiled: ${args.path}` }] };
      }
      return { path: `${args.path.slice(0, -'.ts'.length)}.js`, external: true };
    });
  },
};

/**
 * Prisma's query compiler (~1.9 MB of WebAssembly) ships as a JavaScript module exporting it as one
 * base64 string; parsing that 2.5 MB module costs every process that opens Prisma ~0.1 s. The
 * generated clients' import of it is pointed at a small module that reads the very same string from
 * a text file. A package whose module does not have exactly that shape is left alone.
 */
const queryCompilers = new Map();
const prismaQueryCompiler = {
  name: 'prisma-query-compiler',
  setup(pluginBuild) {
    const filter = /^@prisma\/client\/runtime\/query_compiler_bg\.([a-z]+)\.wasm-base64\.mjs$/;
    pluginBuild.onResolve({ filter }, (args) => {
      const provider = args.path.match(filter)[1];
      const text = readFileSync(createRequire(join(root, 'package.json')).resolve(args.path), 'latin1');
      const base64 = text.match(/^const wasm = "([A-Za-z0-9+/=]+)";?\s*export \{ wasm \};?\s*$/)?.[1];
      if (!base64) return undefined;
      queryCompilers.set(provider, base64);
      const from = join(next, relative(src, args.resolveDir));
      const shim = relative(from, join(next, 'vendor', `query_compiler_bg.${provider}.wasm-base64.js`));
      return { path: shim.split(sep).join('/'), external: true };
    });
  },
};

function writeQueryCompilers() {
  for (const [provider, base64] of queryCompilers) {
    const name = `query_compiler_bg.${provider}.wasm-base64`;
    mkdirSync(join(next, 'vendor'), { recursive: true });
    writeFileSync(join(next, 'vendor', `${name}.txt`), base64);
    writeFileSync(
      join(next, 'vendor', `${name}.js`),
      [
        `// Written by scripts/build.mjs: what @prisma/client/runtime/${name}.mjs exports, read from a file.`,
        "import { readFileSync } from 'node:fs';",
        `export const wasm = readFileSync(new URL('./${name}.txt', import.meta.url), 'latin1');`,
        '',
      ].join('\n'),
    );
  }
}

// Build into a fresh folder and swap it in, so a failed build leaves the previous dist/ untouched
// and no output of a deleted source survives.
const next = `${out}.next`;
rmSync(next, { recursive: true, force: true });
mkdirSync(next, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.keys(sources).map((file) => join('src', file)),
  outdir: next,
  outbase: 'src',
  bundle: true,
  packages: 'external',
  plugins: [keepModules, prismaQueryCompiler],
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // As tsx does: class and function names survive (the CLI recognises its errors by class name).
  keepNames: true,
  tsconfig: join(root, 'tsconfig.json'),
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);
writeQueryCompilers();
writeFileSync(join(next, BUILD_INFO), `${JSON.stringify({ sources }, null, 1)}\n`);
rmSync(out, { recursive: true, force: true });
renameSync(next, out);
const count = Object.keys(sources).length;
console.log(
  `build: ${count} files from src${sep} to dist${sep} in ${(performance.now() - started).toFixed(0)} ms`,
);
