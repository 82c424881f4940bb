/**
 * Real mail nobody on this project wrote, through the real `inbound` handler against DynamoDB Local, the S3
 * server and the SES stand-in: bounces never open tickets, a bounce a person forwarded by hand does, hostile
 * MIME is stored or quarantined in time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_ROOT, listCorpusFiles, parseCorpusFile } from '../helpers/corpus';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { walkCorpus } from '../helpers/walk-corpus';

/** Hundreds of messages through the whole handler, one by one: generous, so that a busy machine is not a failure. */
const CORPUS_DIR_TIMEOUT_MS = 600_000;

/** The acceptance bound for one hostile message, handler end to end. */
const MAX_MILLISECONDS_PER_MESSAGE = 2_000;

/**
 * The one message of sisimai's bsd/ and dos/ that a person wrote: a bounce forwarded by hand with a note
 * (`Fwd: Returned mail: …`). The corpus README says it may open a ticket like any person's mail.
 */
const FORWARDED_BY_A_PERSON = 'bounces/sisimai/bsd/lhost-sendmail-14.eml';
const FORWARDER = 'shironeko@example.jp';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

describe('bounces, delivery and abuse reports (sisimai)', () => {
  for (const dir of ['bounces/sisimai/bsd', 'bounces/sisimai/dos']) {
    it(`${dir}: no machine message opens a ticket or gets an acknowledgement; the hand-forwarded bounce does`, async () => {
      // Prepare
      const files = listCorpusFiles(dir);
      expect(files.length).toBeGreaterThan(70);
      const outcomes = new Map<string, string[]>();
      const earlier = new Set((await stack.outbox()).map((entry) => entry.file));

      // Act
      for (const file of files) {
        const message = await parseCorpusFile(file);
        const result = await stack.deliver(message.raw, { source: message.envelopeSender === 'unknown' ? 'someone@example.org' : message.envelopeSender });
        outcomes.set(result.outcome, [...(outcomes.get(result.outcome) ?? []), message.name]);
      }

      // Assess
      const people = files.map((file) => relative(CORPUS_ROOT, file)).filter((name) => name === FORWARDED_BY_A_PERSON);
      expect(outcomes.get('ticket-created') ?? [], 'messages that opened a ticket').toEqual(people);
      expect(outcomes.get('follow-up') ?? []).toEqual([]);
      const machineOutcomes = [...outcomes.entries()].filter(([outcome]) => outcome !== 'ticket-created');
      expect(machineOutcomes.every(([outcome]) => outcome === 'discarded' || outcome === 'quarantined')).toBe(true);
      const { body } = await stack.api<{ tickets: Array<{ customer: string }> }>('/tickets?limit=100');
      expect(body.tickets.every((ticket) => ticket.customer === FORWARDER)).toBe(true);
      const sent = (await stack.outbox()).filter((entry) => !earlier.has(entry.file));
      expect(sent.map((entry) => entry.mail.to && 'text' in entry.mail.to ? entry.mail.to.text : '')).toEqual(people.map(() => FORWARDER));
    }, CORPUS_DIR_TIMEOUT_MS);
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
