/** Hostile model outputs through the markdown path: no block Slack receives can broadcast. Pure. */
import { describe, expect, it } from 'vitest';
import { markdownParts, renderPart } from '../../src/adapters/slack/markdown.ts';
import { hostileText, SLACK_BROADCAST, SLACK_RAW_BROADCAST } from './hostile.ts';
import { runs, sample } from './support.ts';

const INPUTS = runs(2000);

describe('fuzz: Slack markdown and table blocks', () => {
  it(`${INPUTS} hostile outputs: no broadcast in any block or in the text, parts within 3,000`, () => {
    for (const output of sample(hostileText, INPUTS, 31)) {
      for (const part of markdownParts(output, 3000)) {
        expect(part.length).toBeLessThanOrEqual(3000);
        const { text, blocks } = renderPart(part);
        const shown = [text, JSON.stringify(blocks)];
        for (const value of shown) {
          expect(value).not.toMatch(SLACK_BROADCAST);
          expect(value).not.toMatch(SLACK_RAW_BROADCAST);
        }
        expect(blocks.filter((b) => b.type === 'table').length).toBeLessThanOrEqual(1);
      }
    }
  }, 120_000);
});
