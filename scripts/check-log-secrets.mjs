#!/usr/bin/env node
/**
 * Fails when a test run's log lines carry a secret the tests use.
 *
 *   TEST_LOG_FILE=/tmp/ab-test.log npm test
 *   node --import tsx scripts/check-log-secrets.mjs /tmp/ab-test.log
 *
 * Reads the run's log file (test/support/test-log.ts) and the files child services wrote beside it
 * (`<file>.<name>-<pid>`), and looks in every line for each secret of
 * test/support/test-secrets.ts (as written, JSON-escaped and URL-encoded) and each of its shapes.
 * Prints file, line number and which secret, masked (first 4 characters and length), for every
 * hit. Also fails when the run logged nothing: an empty log proves nothing.
 * Exit codes: 0 clean, 1 a secret was found or the logs are empty, 2 usage.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

const file = process.argv[2] ?? process.env.TEST_LOG_FILE;
if (!file) {
  console.error('usage: node --import tsx scripts/check-log-secrets.mjs <TEST_LOG_FILE>');
  process.exit(2);
}

let secrets;
try {
  secrets = await import('../test/support/test-secrets.ts');
} catch (error) {
  console.error(`cannot load test/support/test-secrets.ts (run with node --import tsx): ${error.message}`);
  process.exit(2);
}
const { TEST_SECRETS, TEST_SECRET_SHAPES } = secrets;

const mask = (value) => `${value.slice(0, 4)}… (${value.length} chars)`;

/** Every form a secret can take in a line: as is, inside a JSON string, in a URL. */
const needles = Object.entries(TEST_SECRETS).flatMap(([name, value]) => {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  return [...forms].map((form) => ({ name, value, form }));
});

const dir = dirname(file);
const prefix = `${basename(file)}.`;
const files = [
  ...(existsSync(file) ? [file] : []),
  ...(existsSync(dir) ? readdirSync(dir) : [])
    .filter((name) => name.startsWith(prefix))
    .sort()
    .map((name) => join(dir, name)),
];

let lines = 0;
let bytes = 0;
let mainLines = 0;
const hits = [];
for (const path of files) {
  const text = readFileSync(path, 'utf8');
  bytes += text.length;
  const fileLines = text.split('\n');
  for (let i = 0; i < fileLines.length; i++) {
    const line = fileLines[i];
    if (line === '') continue;
    lines++;
    if (path === file) mainLines++;
    for (const { name, value, form } of needles) {
      if (line.includes(form)) hits.push({ path, line: i + 1, what: `${name} ${mask(value)}`, text: line });
    }
    for (const { name, pattern } of TEST_SECRET_SHAPES) {
      for (const match of line.matchAll(new RegExp(pattern.source, 'g'))) {
        hits.push({ path, line: i + 1, what: `${name} ${mask(match[0])}`, text: line });
      }
    }
  }
}

const where = (path) => relative(process.cwd(), path) || path;
console.log(
  `log-secrets: ${files.length} file(s), ${lines} lines (${mainLines} from test loggers), ${(bytes / 1e6).toFixed(1)} MB; ${Object.keys(TEST_SECRETS).length} secrets and ${TEST_SECRET_SHAPES.length} shapes`,
);
let failed = false;
if (mainLines === 0) {
  console.error(`log-secrets: ${file} is missing or empty: did the tests run with TEST_LOG_FILE=${file}?`);
  failed = true;
}
if (files.length === 1 && mainLines > 0) {
  console.error(
    'log-secrets: no child service wrote a log beside it (expected from the e2e and chaos tests)',
  );
  failed = true;
}
for (const hit of hits) {
  const testFile = /"testFile":"([^"]+)"/.exec(hit.text)?.[1];
  console.error(`${where(hit.path)}:${hit.line}: ${hit.what}${testFile ? ` [${testFile}]` : ''}`);
}
if (hits.length > 0) {
  console.error(`log-secrets: ${hits.length} secret(s) in the logs`);
  failed = true;
}
if (failed) process.exit(1);
console.log('log-secrets: no secret found');
