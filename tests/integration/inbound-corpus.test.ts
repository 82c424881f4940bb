/**
 * Real mail nobody on this project wrote, through the real `inbound` handler against DynamoDB Local, the S3
 * server and the SES stand-in: bounces never open tickets, hostile MIME is stored or quarantined in time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCorpusFiles, parseCorpusFile } from '../helpers/corpus';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { walkCorpus } from '../helpers/walk-corpus';

/** The acceptance bound for one hostile message, handler end to end. */
const MAX_MILLISECONDS_PER_MESSAGE = 2_000;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

describe('bounces, delivery and abuse reports (sisimai)', () => {
  for (const dir of ['bounces/sisimai/bsd', 'bounces/sisimai/dos']) {
    it(`${dir}: every message opens no ticket and gets no acknowledgement`, async () => {
      // Prepare
      const files = listCorpusFiles(dir);
      expect(files.length).toBeGreaterThan(70);
      const outcomes = new Map<string, string[]>();

      // Act
      for (const file of files) {
        const message = await parseCorpusFile(file);
        const result = await stack.deliver(message.raw, { source: message.envelopeSender === 'unknown' ? 'someone@example.org' : message.envelopeSender });
        outcomes.set(result.outcome, [...(outcomes.get(result.outcome) ?? []), message.name]);
      }

      // Assess
      expect(outcomes.get('ticket-created') ?? [], 'bounces that opened a ticket').toEqual([]);
      expect(outcomes.get('follow-up') ?? []).toEqual([]);
      expect([...outcomes.keys()].every((outcome) => outcome === 'discarded' || outcome === 'quarantined')).toBe(true);
      const { body } = await stack.api<{ tickets: unknown[] }>('/tickets?limit=100');
      expect(body.tickets).toEqual([]);
      expect(await stack.outbox()).toEqual([]);
    });
  }
});

describe('malformed and pathological MIME', () => {
  const files = [...walkCorpus('malformed'), ...walkCorpus('pathological')];

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('stores or quarantines every message with a reason, within the time bound, without a crash', async () => {
    // Prepare
    const slow: string[] = [];
    const unexplained: string[] = [];
    const tally: Record<string, number> = {};

    // Act
    for (const file of files) {
      const started = performance.now();
      const result = await stack.deliver(readFileSync(file));
      const elapsed = performance.now() - started;
      if (elapsed > MAX_MILLISECONDS_PER_MESSAGE) slow.push(`${file} ${elapsed.toFixed(0)} ms`);
      if ((result.outcome === 'quarantined' || result.outcome === 'discarded') && !result.reason) unexplained.push(file);
      tally[result.outcome] = (tally[result.outcome] ?? 0) + 1;
    }

    // Assess
    expect(slow).toEqual([]);
    expect(unexplained).toEqual([]);
    expect(readdirSync(stack.deadLetterDir)).toEqual([]);
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(files.length);
  });
});
