import { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { deliveryJobId, escapeIdPart, replyDebounceKey } from '../../../src/jobs/ids.ts';

describe('replyDebounceKey', () => {
  it.each<[string, string, string, string]>([
    ['cuid ids', 'clx1conv', 'clx2agent', 'reply.clx1conv.clx2agent'],
    ['uuid ids keep their dashes', '0b7e-41', 'a-1', 'reply.0b7e-41.a-1'],
    ['colons are escaped', 'slack:T1:C1', 'agent', 'reply.slack%3AT1%3AC1.agent'],
    ['dots cannot fake a separator', 'a.b', 'c', 'reply.a%2Eb.c'],
    ['unicode is escaped as UTF-8 bytes', 'zoë', 'x', 'reply.zo%C3%AB.x'],
  ])('%s', (_name, conversationId, agentId, expected) => {
    expect(replyDebounceKey(conversationId, agentId)).toBe(expected);
  });

  it('is the same for the same conversation and agent, different otherwise', () => {
    expect(replyDebounceKey('c1', 'a1')).toBe(replyDebounceKey('c1', 'a1'));
    expect(replyDebounceKey('c1', 'a1')).not.toBe(replyDebounceKey('c1', 'a2'));
    expect(replyDebounceKey('c1', 'a1')).not.toBe(replyDebounceKey('c2', 'a1'));
    // Without escaping these two would both read "reply.a.b.c".
    expect(replyDebounceKey('a.b', 'c')).not.toBe(replyDebounceKey('a', 'b.c'));
  });

  it('never contains ":"', () => {
    expect(replyDebounceKey('x:y:z', 'q:r')).not.toContain(':');
  });
});

describe('escapeIdPart', () => {
  it.each<[string, string]>([
    ['abc_DEF-123', 'abc_DEF-123'],
    ['%', '%25'],
    [' ', '%20'],
    ['', ''],
  ])('%j → %j', (part, expected) => {
    expect(escapeIdPart(part)).toBe(expected);
  });
});

describe('deliveryJobId', () => {
  it.each<[number | string, string]>([
    [42, 'deliver.42'],
    ['42', 'deliver.42'],
    ['msg:1', 'deliver.msg%3A1'],
  ])('%j → %s', (replyMessageId, expected) => {
    expect(deliveryJobId(replyMessageId)).toBe(expected);
  });
});

describe('BullMQ accepts the ids as custom job ids', () => {
  // Job.validateOptions is what Queue.add runs before touching Redis; no connection is needed.
  const validate = (jobId: string) => () =>
    (
      Job.prototype as unknown as { validateOptions(this: unknown, data: unknown): void }
    ).validateOptions.call({ name: 'reply', opts: { jobId } }, { data: '{}' });

  it.each<[string, string]>([
    ['a reply debounce key', replyDebounceKey('slack:T1:C1', 'agent:1')],
    ['a delivery job id for a numeric message id', deliveryJobId(7)],
  ])('%s', (_name, jobId) => {
    expect(validate(jobId)).not.toThrow();
  });

  it('the check itself rejects what we avoid', () => {
    expect(validate('42')).toThrow('Custom Id cannot be integers');
    expect(validate('reply:c1:a1:x')).toThrow('Custom Id cannot contain :');
  });
});
