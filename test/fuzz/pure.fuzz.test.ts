/**
 * The pure entry points, 10,000 generated inputs each: the `/agent` text parser and tokenizer, the
 * Slack form (modal) submission path, Discord's typed options, and the two output formatters.
 * Each must never throw; the parser answers a command or a short one-line error; the formatters
 * never let a broadcast through and respect the platform's size limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandFromOptions } from '../../src/adapters/discord/interactions.ts';
import {
  DISCORD_MESSAGE_LIMIT,
  neutralizeMentions,
  splitMessage,
} from '../../src/adapters/discord/outbound.ts';
import { parseFormState } from '../../src/adapters/slack/blocks.ts';
import { formCommandText, formErrors, readForm } from '../../src/adapters/slack/commands.ts';
import { formatForSlack, SLACK_TEXT_LIMIT } from '../../src/adapters/slack/format.ts';
import { AGENT_FIELDS, AGENT_VERBS, type ParsedCommand } from '../../src/commands/command.ts';
import { formRequest, parseAgentCommand } from '../../src/commands/parse.ts';
import { tokenize } from '../../src/commands/tokenize.ts';
import {
  DISCORD_BROADCAST,
  hostileFragment,
  hostileText,
  longHostileText,
  SLACK_BROADCAST,
} from './hostile.ts';
import { check, guardProcess, printFigures, runs } from './support.ts';

const N = runs(10_000);
/** A refusal people read in an ephemeral message: one short paragraph. */
const MAX_ERROR = 400;

guardProcess();

const verb = fc.oneof(
  fc.constantFrom(...AGENT_VERBS),
  fc.constantFrom('/agent', 'CREATE', 'Edit', 'nope', ''),
);
const key = fc.oneof(fc.constantFrom(...AGENT_FIELDS), fc.constantFrom('Role', 'name', '', ' ', 'x=y', '"'));
const quoted = (value: string) =>
  fc.constantFrom(
    `"${value}"`,
    `“${value}”`,
    `'${value}'`,
    value,
    `"${value}`,
    `"${value.replace(/"/g, '\\"')}"`,
  );
const value = fc.oneof(
  hostileFragment,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 1000 }),
);
const pair = fc.tuple(key, value).chain(([k, v]) => quoted(v).map((q) => `${k}=${q}`));

/** `/agent` texts: mostly shaped like commands, the rest anything at all. */
const commandText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(verb, fc.oneof(hostileFragment, fc.string({ maxLength: 40 })), fc.array(pair, { maxLength: 6 }))
      .map(([v, name, pairs]) => [v, name, ...pairs].join(' ')),
  },
  { weight: 2, arbitrary: hostileText.filter((t) => t.length < 5000) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 5_000, maxLength: 12_000 }) },
);

function expectAnswer(parsed: ParsedCommand): void {
  if (parsed.ok) {
    expect(AGENT_VERBS).toContain(parsed.command.verb);
    return;
  }
  expect(typeof parsed.error).toBe('string');
  expect(parsed.error.length).toBeGreaterThan(0);
  expect(parsed.error.length).toBeLessThanOrEqual(MAX_ERROR);
  expect(parsed.error.includes('\n') || parsed.error.includes(String.fromCharCode(0))).toBe(false);
}

describe('fuzz: pure entry points', () => {
  it(`/agent text: parse and formRequest never throw; a command or a short error (${N} inputs)`, async () => {
    const started = Date.now();
    let refused = 0;
    await check(
      fc.property(commandText, (text) => {
        const parsed = parseAgentCommand(text);
        expectAnswer(parsed);
        if (!parsed.ok) refused += 1;
        formRequest(text);
        const tokens = tokenize(text);
        if (!tokens.ok) expect(tokens.error.length).toBeLessThanOrEqual(MAX_ERROR);
      }),
      N,
    );
    printFigures({
      entry: 'slack /agent text (parse, tokenize, formRequest)',
      inputs: N,
      refused,
      ms: Date.now() - started,
    });
  });

  it(`Slack modal submissions: readForm, formErrors, the command text, never throw (${N} inputs)`, async () => {
    const started = Date.now();
    let refused = 0;
    const input = fc.oneof(
      fc.record({
        value: fc.option(
          fc.oneof(
            value,
            hostileText.filter((t) => t.length < 5000),
          ),
          { nil: null },
        ),
      }),
      fc.constant({}),
    );
    const values = fc.dictionary(
      fc.oneof(fc.constantFrom('name', ...AGENT_FIELDS), fc.string()),
      fc.dictionary(fc.constantFrom('value', 'other'), input),
    );
    const metadata = fc.oneof(
      fc.string(),
      fc.constant(undefined),
      fc
        .record(
          {
            verb: fc.constantFrom('create', 'edit', 'delete', 1),
            teamId: fc.oneof(fc.string(), fc.integer()),
            name: fc.oneof(fc.string(), hostileFragment),
            channelId: fc.string(),
            isDirect: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await check(
      fc.property(values, metadata, (raw, meta) => {
        const state = parseFormState(meta);
        if (!state) return;
        const form = readForm(raw as Parameters<typeof readForm>[0]);
        const errors = formErrors(state, form, parseAgentCommand);
        for (const error of Object.values(errors)) expect(error.length).toBeLessThanOrEqual(MAX_ERROR);
        if (Object.keys(errors).length > 0) {
          refused += 1;
          return;
        }
        const parsed = parseAgentCommand(formCommandText(state, form));
        expectAnswer(parsed);
        if (!parsed.ok) refused += 1;
      }),
      N,
    );
    printFigures({
      entry: 'slack modal submission (form state, values)',
      inputs: N,
      refused,
      ms: Date.now() - started,
    });
  });

  it(`Discord typed options: commandFromOptions never throws (${N} inputs)`, async () => {
    const started = Date.now();
    await check(
      fc.property(
        fc.oneof(fc.constantFrom(...AGENT_VERBS), fc.string()),
        fc.dictionary(fc.string(), fc.oneof(value, fc.constant(null))),
        (subcommand, options) => {
          const command = commandFromOptions(subcommand, (name) => options[name] ?? null);
          expect(AGENT_VERBS).toContain(command.verb);
        },
      ),
      N,
    );
    printFigures({ entry: 'discord /agent options', inputs: N, ms: Date.now() - started });
  });

  it(`formatForSlack: no broadcast survives, parts within the limit (${N} inputs)`, async () => {
    const started = Date.now();
    let leaked = 0;
    await check(
      fc.property(hostileText, (text) => {
        const parts = formatForSlack(text);
        for (const part of parts) {
          expect(part.length).toBeLessThanOrEqual(SLACK_TEXT_LIMIT);
          if (SLACK_BROADCAST.test(part)) leaked += 1;
          expect(part).not.toMatch(SLACK_BROADCAST);
        }
      }),
      N,
    );
    printFigures({
      entry: 'formatForSlack (model output)',
      inputs: N,
      pingsLeaked: leaked,
      ms: Date.now() - started,
    });
  }, 120_000); // 10,000 conversions: slow on a busy machine, and correctness is what is checked

  it(`formatForSlack on 100 KB outputs: no broadcast, within the limit (${runs(3)} inputs, slowest timed)`, async () => {
    const started = Date.now();
    let slowest = 0;
    let leaked = 0;
    await check(
      fc.property(longHostileText(90_000, 100_000), (text) => {
        const t = performance.now();
        const parts = formatForSlack(text);
        slowest = Math.max(slowest, performance.now() - t);
        for (const part of parts) {
          expect(part.length).toBeLessThanOrEqual(SLACK_TEXT_LIMIT);
          if (SLACK_BROADCAST.test(part)) leaked += 1;
        }
        expect(leaked).toBe(0);
      }),
      runs(3),
    );
    // Known: slackify-markdown is quadratic on one long paragraph (~4 s of CPU for 100 KB here);
    // reported in docs/security.md "Fuzzing". Not asserted, so the figure stays visible.
    printFigures({
      entry: 'formatForSlack 100 KB outputs',
      inputs: runs(3),
      pingsLeaked: leaked,
      slowestMs: Math.round(slowest),
      ms: Date.now() - started,
    });
  }, 120_000);

  it(`Discord split and neutralize: no @everyone/@here, parts within 2,000 (${N} inputs)`, async () => {
    const started = Date.now();
    let leaked = 0;
    await check(
      fc.property(hostileText, (text) => {
        const parts = splitMessage(neutralizeMentions(text));
        for (const part of parts) {
          expect(part.length).toBeLessThanOrEqual(DISCORD_MESSAGE_LIMIT);
          if (DISCORD_BROADCAST.test(part)) leaked += 1;
          expect(part).not.toMatch(DISCORD_BROADCAST);
        }
      }),
      N,
    );
    printFigures({
      entry: 'discord split + neutralize (model output)',
      inputs: N,
      pingsLeaked: leaked,
      ms: Date.now() - started,
    });
  });
});
