// Is dist/ a build of the sources as they are now? Plain JavaScript: it must run before anything
// is compiled. scripts/build.mjs records every source's modification time in dist/.build-info.json
// as it starts compiling; the build is current while the same files exist under src/ and none has
// been modified since. Checking ~150 files costs a couple of milliseconds.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

export const BUILD_INFO = '.build-info.json';

/** The compiled sources under `dir`: every .ts file (not .d.ts), as /-separated relative paths, sorted. */
export function listSources(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1))
    .filter((file) => !file.split(sep).some((part) => part.startsWith('.')))
    .map((file) => file.split(sep).join('/'))
    .sort();
}

/**
 * `{ current: true }`, or `{ current: false, reason }` where reason says what is wrong in a few
 * words, e.g. "dist/ is older than src/app.ts".
 */
export function buildState(root) {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(root, 'dist', BUILD_INFO), 'utf8')).sources;
  } catch {
    return { current: false, reason: 'dist/ has not been built' };
  }
  let files;
  try {
    files = listSources(join(root, 'src'));
  } catch {
    // No sources beside the build (an image or package that ships dist/ only): nothing to be stale against.
    return { current: true };
  }
  for (const file of files) {
    const built = recorded[file];
    if (built === undefined) return { current: false, reason: `src/${file} is newer than dist/` };
    if (statSync(join(root, 'src', file)).mtimeMs > built) {
      return { current: false, reason: `dist/ is older than src/${file}` };
    }
  }
  const present = new Set(files);
  const removed = Object.keys(recorded).find((file) => !present.has(file));
  if (removed) return { current: false, reason: `src/${removed} was removed after dist/ was built` };
  return { current: true };
}
