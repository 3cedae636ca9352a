#!/usr/bin/env node
// Prints line coverage per folder of the message path from coverage/coverage-summary.json (written
// by `npm test -- --coverage`), and fails when a folder is below the floor.
//   node scripts/coverage-summary.mjs            print, fail below 90 %
//   node scripts/coverage-summary.mjs --min 0    print only
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const FOLDERS = ['src/orchestrator', 'src/worker', 'src/jobs', 'src/store'];
const DEFAULT_MIN = 90;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'coverage', 'coverage-summary.json');
const minArg = process.argv.indexOf('--min');
const min = minArg >= 0 ? Number(process.argv[minArg + 1]) : DEFAULT_MIN;
if (!Number.isFinite(min)) {
  console.error('coverage: --min takes a percentage, e.g. --min 90');
  process.exit(2);
}
if (!existsSync(file)) {
  console.error(`coverage: ${relative(root, file)} is missing: run \`npm test -- --coverage\` first`);
  process.exit(2);
}

/** @type {Record<string, { lines: { total: number, covered: number } }>} */
const summary = JSON.parse(readFileSync(file, 'utf8'));
const folders = new Map(FOLDERS.map((folder) => [folder, { total: 0, covered: 0, files: 0 }]));
for (const [path, entry] of Object.entries(summary)) {
  if (path === 'total') continue;
  const rel = relative(root, path).split(sep).join('/');
  const folder = FOLDERS.find((f) => rel.startsWith(`${f}/`));
  const sums = folder && folders.get(folder);
  if (!sums) continue;
  sums.total += entry.lines.total;
  sums.covered += entry.lines.covered;
  sums.files += 1;
}

const percent = (covered, total) => (total === 0 ? 100 : (100 * covered) / total);
const below = [];
console.log(`coverage (lines), floor ${min} %:`);
for (const [folder, { total, covered, files }] of folders) {
  const pct = percent(covered, total);
  if (pct < min) below.push(folder);
  const mark = pct < min ? '  BELOW' : '';
  console.log(
    `  ${folder.padEnd(18)} ${pct.toFixed(1).padStart(5)} %  ${`${covered}/${total}`.padStart(9)} lines, ${files} files${mark}`,
  );
}
const all = summary.total?.lines;
if (all)
  console.log(`  ${'src (all)'.padEnd(18)} ${percent(all.covered, all.total).toFixed(1).padStart(5)} %`);
if (below.length > 0) {
  console.error(`coverage: ${below.join(', ')} below ${min} % of lines`);
  process.exit(1);
}
