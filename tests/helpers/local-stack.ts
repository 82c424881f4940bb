import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { InboundResult } from '../../functions/inbound/receive-message';
import type { Verdict } from '../../functions/mail/types';
import { sendRawMessage } from '../../scripts/cli/smtp-send';
import { dropTable } from '../../scripts/local/dynamodb-local';
import { LOCAL_ACCESS_KEY, startLocalStack, type LocalStack, type LocalStackOptions } from '../../scripts/local/stack';
import { sharedStandIns } from './shared-stand-ins';

export interface TestStack extends LocalStack {
  dataDir: string;
  /** Sends over SMTP like a mail server and waits until `inbound` has finished with it. */
  sendSmtp(raw: Buffer | string, envelope?: { from?: string; to?: string[] }): Promise<void>;
  /** Stores `raw` as the SES S3 action would and invokes `inbound` with an SES event, returning its result. */
  deliver(raw: Buffer | string, options?: DeliverOptions): Promise<InboundResult>;
  outbox(): Promise<Array<{ file: string; raw: string; mail: ParsedMail }>>;
  /** An HTTP request to the local API; `body` is sent as JSON. */
  api<T>(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T }>;
  teardown(): Promise<void>;
}

export interface DeliverOptions {
  sesMessageId?: string;
  source?: string;
  recipients?: string[];
  verdicts?: Partial<Record<'spam' | 'virus' | 'spf' | 'dkim' | 'dmarc', Verdict>> | 'absent';
  /** Deliver the same event this many times concurrently. */
  concurrency?: number;
  /** The event's timestamps (SES repeats them when it delivers one event again); now by default. */
  receivedAt?: string;
  /** False delivers the event again without storing the raw message again, as SES's own retry does. */
  storeRaw?: boolean;
}

export function newSesMessageId(): string {
  return randomBytes(20).toString('hex');
}

export interface TestStackOptions extends Partial<LocalStackOptions> {
  /**
   * Start this stack's own DynamoDB Local and S3 server instead of sharing the run's (a test that stops or
   * kills a stand-in, or needs data on disk). Implied by `inMemoryDatabase: false` or a fixed `dynamoPort`.
   */
  ownStandIns?: boolean;
}

/**
 * A whole local stack for one test file. By default it shares the run's DynamoDB Local and S3 server with
 * the other test files, with a table and a bucket of its own, so tests see only their own data; its SES
 * stand-in, SMTP receiver, API server, outbox and dead letters are its own in every case.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const { ownStandIns = false, ...stackOptions } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'concierge-test-'));
  const wantsOwn = ownStandIns || stackOptions.inMemoryDatabase === false || Boolean(stackOptions.dynamoPort) || Boolean(stackOptions.s3Port);
  const shared = wantsOwn || stackOptions.dynamoEndpoint ? undefined : await sharedStandIns();
  const suffix = randomBytes(6).toString('hex');
  const stack = await startLocalStack({
    dataDir,
    smtpPort: 0,
    apiPort: 0,
    inMemoryDatabase: true,
    retryDelaysMs: [20, 20],
    verdictRules: { failAuthDomains: ['forged.test'], spamDomains: ['spam.test'], virusDomains: ['virus.test'] },
    ...(shared ? { ...shared, tableName: `concierge-test-${suffix}`, rawMailBucket: `concierge-raw-${suffix}` } : {}),
    ...stackOptions,
  });
  const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: stack.s3Endpoint, credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY } });

  return {
    ...stack,
    dataDir,
    async sendSmtp(raw, envelope = {}) {
      await sendRawMessage({
        host: '127.0.0.1',
        port: stack.smtpPort,
        raw: Buffer.from(raw),
        to: envelope.to ?? [stack.supportAddress],
        ...(envelope.from !== undefined ? { from: envelope.from } : {}),
      });
      await stack.idle();
    },
    async deliver(raw, deliverOptions = {}) {
      const sesMessageId = deliverOptions.sesMessageId ?? newSesMessageId();
      if (deliverOptions.storeRaw !== false) await s3.send(new PutObjectCommand({ Bucket: stack.rawMailBucket, Key: `${stack.rawMailPrefix}${sesMessageId}`, Body: Buffer.from(raw) }));
      const now = deliverOptions.receivedAt ?? new Date().toISOString();
      const v = deliverOptions.verdicts === 'absent' ? undefined : { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', ...deliverOptions.verdicts };
      const recipients = deliverOptions.recipients ?? [stack.supportAddress];
      const event = {
        Records: [
          {
            eventSource: 'aws:ses' as const,
            ses: {
              mail: { messageId: sesMessageId, source: deliverOptions.source ?? 'sender@example.com', timestamp: now, destination: recipients },
              receipt: {
                timestamp: now,
                recipients,
                ...(v
                  ? {
                      spamVerdict: { status: v.spam as Verdict },
                      virusVerdict: { status: v.virus as Verdict },
                      spfVerdict: { status: v.spf as Verdict },
                      dkimVerdict: { status: v.dkim as Verdict },
                      dmarcVerdict: { status: v.dmarc as Verdict },
                    }
                  : {}),
              },
            },
          },
        ],
      };
      const runs = Array.from({ length: deliverOptions.concurrency ?? 1 }, () => stack.invokeInbound(event));
      const results = (await Promise.all(runs)) as Array<{ results: InboundResult[] } | undefined>;
      const first = results[0]?.results[0];
      if (!first) throw new Error(`inbound failed for ${sesMessageId}; see ${stack.deadLetterDir}`);
      return first;
    },
    async outbox() {
      const files = readdirSync(stack.outboxDir, { withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith('.eml'))
        .map((entry) => entry.name)
        .sort();
      return Promise.all(
        files.map(async (file) => {
          const raw = readFileSync(join(stack.outboxDir, file), 'utf8');
          return { file, raw, mail: await simpleParser(raw) };
        }),
      );
    },
    async api<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
      const response = await fetch(`${stack.apiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
    async teardown() {
      s3.destroy();
      await stack.stop();
      // The shared DynamoDB Local keeps running for other files: free what this one used.
      if (shared) await dropTable(shared.dynamoEndpoint, stack.tableName);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A plain message as a mail client would write it. */
export function composeMessage(fields: {
  from: string;
  to?: string;
  subject: string;
  text: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  cc?: string;
  replyTo?: string;
  extraHeaders?: string[];
}): string {
  const lines = [
    `From: ${fields.from}`,
    `To: ${fields.to ?? 'support@concierge.test'}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    ...(fields.replyTo ? [`Reply-To: ${fields.replyTo}`] : []),
    `Subject: ${fields.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${fields.messageId ?? `<${randomBytes(8).toString('hex')}@client.example>`}`,
    ...(fields.inReplyTo ? [`In-Reply-To: ${fields.inReplyTo}`] : []),
    ...(fields.references ? [`References: ${fields.references}`] : []),
    ...(fields.extraHeaders ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    fields.text,
    '',
  ];
  return lines.join('\r\n');
}

/**
 * The body of an API request that must succeed: a status outside `expected` (by default any 2xx) fails the
 * test with the method, path, status and body, so a set-up step that went wrong says what it was.
 */
export async function apiOk<T>(stack: Pick<TestStack, 'api'>, path: string, method = 'GET', body?: unknown, expected?: readonly number[]): Promise<T> {
  const response = await stack.api<T>(path, { method, ...(body !== undefined ? { body } : {}) });
  const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!ok) throw new Error(`${method} ${path} → ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}
