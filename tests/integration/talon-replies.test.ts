/**
 * Replies written by a dozen real mail clients (mailgun/talon's corpus), each sent as a reply to the
 * acknowledgement of an open ticket: it joins that ticket and only the new text is stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_ROOT, listCorpusFiles } from '../helpers/corpus';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;

beforeAll(async () => {
  // Several corpus replies share one sender; the hourly acknowledgement cap is not what this test is about.
  stack = await startTestStack({ handlerEnv: { ACK_LIMIT_PER_SENDER_PER_HOUR: '100' } });
});

afterAll(async () => {
  await stack?.teardown();
});

/** The corpus message with its own threading headers replaced by a reply to `parentId`. */
function asReplyTo(raw: string, parentId: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(split);
  const kept = head.split(/\r?\n/).filter((line) => !/^(in-reply-to|references):/i.test(line));
  return [...kept, `In-Reply-To: ${parentId}`, `References: ${parentId}`].join('\n') + body;
}

function fromAddressOf(raw: string): string {
  const from = raw.match(/^From:(.*)$/im)?.[1] ?? '';
  return (from.match(/[^\s<>"]+@[^\s<>"]+/)?.[0] ?? '').toLowerCase();
}

describe('talon standard replies', () => {
  const files = listCorpusFiles(join(CORPUS_ROOT, 'replies/talon/standard_replies')).filter((file) => file.endsWith('.eml'));

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const file of files) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    it(`${name}: joins the ticket and stores exactly the new text`, async () => {
      // Prepare: the sender opens a ticket and receives its acknowledgement
      const raw = readFileSync(file, 'utf8');
      const sender = fromAddressOf(raw);
      const subject = `Opening for ${name}`;
      await stack.sendSmtp(composeMessage({ from: sender, subject, text: 'Hi' }));
      const ack = (await stack.outbox()).find((entry) => entry.mail.subject?.endsWith(subject));
      expect(ack, 'acknowledgement of the opening message').toBeDefined();
      const ticketRef = ack!.mail.subject!.match(/\[#([A-Z2-9]{6})\]/)![1]!;

      // Act: the client's reply, threaded to the Message-ID SES gave the acknowledgement
      const result = await stack.deliver(asReplyTo(raw, ack!.mail.messageId!), { source: sender });

      // Assess
      expect(result.outcome).toBe('follow-up');
      const { body } = await stack.api<{ messages: Array<{ direction: string; text: string }> }>(`/tickets/${ticketRef}`);
      const inbound = body.messages.filter((m) => m.direction === 'inbound');
      expect(inbound).toHaveLength(2);
      expect(inbound[1]?.text).toBe('Hello');
    });
  }
});
