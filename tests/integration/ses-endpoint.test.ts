/**
 * The local SES stand-in, driven through the real @aws-sdk/client-ses so that the wire
 * protocol (awsQuery form POST, XML result, XML error naming the exception) is the one the
 * handlers will use.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListIdentitiesCommand, SESClient, SendEmailCommand, SendRawEmailCommand } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalSesEndpoint, type LocalSesEndpoint, type LocalSesEnvelope, type LocalSesMessageSummary, type LocalSesOptions } from '../../scripts/local/ses/server';

const SES_ID = /^0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$/;

interface Harness {
  endpoint: LocalSesEndpoint;
  dir: string;
  ses: SESClient;
}

const opened: Harness[] = [];
const dirs: string[] = [];

async function harness(options: Partial<LocalSesOptions> = {}, dir?: string): Promise<Harness> {
  const outboxDir = dir ?? (await mkdtemp(join(tmpdir(), 'ses-endpoint-')));
  if (!dir) dirs.push(outboxDir);
  const region = options.region ?? 'us-east-1';
  const endpoint = await startLocalSesEndpoint({ port: 0, outboxDir, ...options });
  const ses = new SESClient({
    endpoint: endpoint.url,
    region,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    // A retried send would hide a server that answers with the wrong status.
    maxAttempts: 1,
  });
  const h = { endpoint, dir: outboxDir, ses };
  opened.push(h);
  return h;
}

afterEach(async () => {
  for (const h of opened.splice(0)) {
    h.ses.destroy();
    await h.endpoint.close();
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function emlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.eml')).sort();
}

async function onlyDelivered(dir: string): Promise<{ file: string; data: Buffer }> {
  const files = await emlFiles(dir);
  expect(files).toHaveLength(1);
  const file = files[0] ?? '';
  return { file, data: await readFile(join(dir, file)) };
}

/** A header field exactly as it appears on the wire, folded lines and line breaks included. */
function rawField(message: Buffer, name: string): string[] {
  const text = message.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const headers = text.slice(0, (end?.index ?? 0) + (end?.[0].startsWith('\r') ? 2 : 1));
  const pattern = new RegExp(`^${name}:.*\\r?\\n(?:[ \\t].*\\r?\\n)*`, 'gim');
  return headers.match(pattern) ?? [];
}

function bodyOf(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const match = /\r?\n\r?\n/.exec(text);
  return Buffer.from(text.slice((match?.index ?? 0) + (match?.[0].length ?? 0)), 'latin1');
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the send to be rejected');
}

function rawSend(ses: SESClient, data: Buffer | string, extra: { Source?: string; Destinations?: string[] } = {}) {
  return ses.send(new SendRawEmailCommand({ RawMessage: { Data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data }, ...extra }));
}

async function getText(url: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** GET with the path sent verbatim: fetch() would normalise the '..' segments away first. */
function getVerbatim(endpoint: LocalSesEndpoint, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: endpoint.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const THREAD_REFS = Array.from({ length: 6 }, (_, i) => `<ticket-42.msg-${i}.a1b2c3d4e5f6@concierge.example.com>`);

function threadedReply(extra: { subject?: string; html?: string } = {}): Promise<Buffer> {
  return new MailComposer({
    from: 'Concierge Support <support@concierge.example.com>',
    to: 'Alice Chen <alice@example.org>',
    subject: extra.subject ?? 'Re: 工单 #42 — ваш запрос о выводе средств (withdrawal) [VIP]',
    messageId: '<concierge-out-7f3a@concierge.example.com>',
    inReplyTo: THREAD_REFS[5],
    references: THREAD_REFS,
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
    text: 'Hello Alice,\n\nyour withdrawal is being reviewed.\r\nMixed line endings stay as sent.\n',
    html: extra.html,
  })
    .compile()
    .build();
}

describe('SendRawEmail through the real SDK', () => {
  it('replaces the Message-ID with the returned SES id and keeps every other byte', async () => {
    // Prepare
    const { ses, dir } = await harness();
    const original = await threadedReply();

    // Act
    const { MessageId } = await rawSend(ses, original);

    // Assess
    expect(MessageId).toMatch(SES_ID);
    const { file, data } = await onlyDelivered(dir);
    expect(file).toBe(`000001-${MessageId}.eml`);
    expect(rawField(data, 'Message-ID')).toEqual([`Message-ID: <${MessageId}@email.amazonses.com>\r\n`]);
    expect(data.includes('concierge-out-7f3a@concierge.example.com')).toBe(false);
    for (const name of ['In-Reply-To', 'References', 'Auto-Submitted', 'X-Auto-Response-Suppress', 'Subject', 'From', 'To', 'Date']) {
      const sent = rawField(original, name);
      expect(sent, name).toHaveLength(1);
      expect(rawField(data, name), name).toEqual(sent);
    }
    expect(rawField(data, 'References')[0]).toContain('\r\n <ticket-42.msg-1');
    expect(bodyOf(data).equals(bodyOf(original))).toBe(true);
    const expected = original
      .toString('latin1')
      .replace(/^Message-ID:.*\r\n/im, `Message-ID: <${MessageId}@email.amazonses.com>\r\n`);
    expect(data.equals(Buffer.from(expected, 'latin1'))).toBe(true);
  });

  it('uses the region in the Message-ID domain outside us-east-1 and inserts the header when absent, keeping LF line ends', async () => {
    // Prepare
    const { ses, dir } = await harness({ region: 'eu-west-1' });
    const headers = 'From: support@concierge.example.com\nTo: bob@example.org\nSubject: no id\nDate: Mon, 2 Feb 2026 10:00:00 +0000\n';
    const body = 'Body line 1\nBody line 2\n';

    // Act
    const { MessageId } = await rawSend(ses, `${headers}\n${body}`);

    // Assess
    const { data } = await onlyDelivered(dir);
    expect(data.toString('latin1')).toBe(`${headers}Message-ID: <${MessageId}@eu-west-1.amazonses.com>\n\n${body}`);
  });

  it('replaces a folded Message-ID field whole, and stamps a Date only when none was sent', async () => {
    // Prepare
    const { ses, dir } = await harness();
    const raw = 'From: a@concierge.example.com\r\nMessage-ID:\r\n <folded-original@concierge.example.com>\r\nTo: c@example.org\r\n\r\nhi\r\n';

    // Act
    const { MessageId } = await rawSend(ses, raw);

    // Assess
    const text = (await onlyDelivered(dir)).data.toString('latin1');
    expect(text).not.toContain('folded-original');
    expect(text).toMatch(
      new RegExp(`^From: a@concierge\\.example\\.com\\r\\nMessage-ID: <${MessageId}@email\\.amazonses\\.com>\\r\\nTo: c@example\\.org\\r\\nDate: [A-Z][a-z]{2}, \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000\\r\\n\\r\\nhi\\r\\n$`),
    );
  });

  it('takes recipients from To/Cc/Bcc when Destinations is absent, records them, and drops the Bcc field', async () => {
    // Prepare
    const { ses, dir, endpoint } = await harness();
    const raw =
      'From: Support <support@concierge.example.com>\r\nTo: Alice <alice@example.org>\r\nCc: lead@concierge.example.com\r\n' +
      'Bcc: audit@concierge.example.com,\r\n archive@concierge.example.com\r\nSubject: Bcc test\r\n\r\nbody\r\n';

    // Act
    const { MessageId } = await rawSend(ses, raw);

    // Assess
    const { data } = await onlyDelivered(dir);
    expect(data.toString('latin1')).toBe(
      'From: Support <support@concierge.example.com>\r\nTo: Alice <alice@example.org>\r\nCc: lead@concierge.example.com\r\n' +
        `Subject: Bcc test\r\nMessage-ID: <${MessageId}@email.amazonses.com>\r\n` +
        (rawField(data, 'Date')[0] ?? 'missing Date') +
        '\r\nbody\r\n',
    );
    const [summary] = (await (await fetch(`${endpoint.url}/api/messages`)).json()) as LocalSesMessageSummary[];
    expect(summary?.envelope).toEqual({
      source: 'support@concierge.example.com',
      destinations: ['alice@example.org', 'lead@concierge.example.com', 'audit@concierge.example.com', 'archive@concierge.example.com'],
    });
  });

  it('uses Source and Destinations as the envelope when given', async () => {
    // Prepare
    const { ses, dir } = await harness();

    // Act
    const { MessageId } = await rawSend(ses, 'From: support@concierge.example.com\r\nTo: alice@example.org\r\n\r\nx', {
      Source: 'bounces@concierge.example.com',
      Destinations: ['success@simulator.amazonses.com', 'ooto@simulator.amazonses.com'],
    });

    // Assess
    const envelope = JSON.parse(await readFile(join(dir, `000001-${MessageId}.envelope.json`), 'utf8')) as LocalSesEnvelope;
    expect(envelope).toMatchObject({
      sesMessageId: MessageId,
      action: 'SendRawEmail',
      source: 'bounces@concierge.example.com',
      destinations: ['success@simulator.amazonses.com', 'ooto@simulator.amazonses.com'],
    });
  });

  it('names files in send order: sequential sends, 20 concurrent sends, and across a restart', async () => {
    // Prepare
    const first = await harness();
    const message = (subject: string) => `From: a@concierge.example.com\r\nTo: b@example.org\r\nSubject: ${subject}\r\n\r\n${subject}\r\n`;

    // Act
    const sequential: string[] = [];
    for (let i = 0; i < 3; i++) sequential.push((await rawSend(first.ses, message(`seq ${i}`))).MessageId ?? '');
    const concurrent = await Promise.all(Array.from({ length: 20 }, (_, i) => rawSend(first.ses, message(`par ${i}`))));
    first.ses.destroy();
    await first.endpoint.close();
    const second = await harness({}, first.dir);
    const afterRestart = (await rawSend(second.ses, message('after restart'))).MessageId ?? '';

    // Assess
    const files = await emlFiles(first.dir);
    expect(files).toHaveLength(24);
    expect(files.map((f) => Number(f.slice(0, 6)))).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(files.slice(0, 3)).toEqual(sequential.map((id, i) => `${String(i + 1).padStart(6, '0')}-${id}.eml`));
    const concurrentIds = files.slice(3, 23).map((f) => f.slice(7, -4));
    expect(new Set(concurrentIds)).toEqual(new Set(concurrent.map((r) => r.MessageId)));
    const acceptedAt = await Promise.all(
      files.map(async (f) => (JSON.parse(await readFile(join(first.dir, f.replace(/\.eml$/, '.envelope.json')), 'utf8')) as LocalSesEnvelope).acceptedAt),
    );
    expect([...acceptedAt].sort()).toEqual(acceptedAt);
    expect(files[23]).toBe(`000024-${afterRestart}.eml`);
    for (const f of files) {
      expect(rawField(await readFile(join(first.dir, f)), 'Message-ID')[0]).toBe(`Message-ID: <${f.slice(7, -4)}@email.amazonses.com>\r\n`);
    }
  });
});

describe('SendRawEmail rejections (SDK error names as SES returns them)', () => {
  // SES answers an oversized message and a missing From with InvalidParameterValue
  // ("Message length is more than 10485760 bytes long: 'N'.", "Missing required header
  // 'From'."), not MessageRejected, which is its answer for unverified identities and the
  // like. Handlers must therefore treat both names as permanent failures.

  it('rejects a message over 10 MiB by default, quoting the SES text', async () => {
    // Prepare
    const { ses, dir } = await harness();
    const head = 'From: a@concierge.example.com\r\nTo: b@example.org\r\nSubject: big\r\n\r\n';
    const big = Buffer.concat([Buffer.from(head), Buffer.alloc(10 * 1024 * 1024 + 1 - head.length, 'A')]);

    // Act
    const error = await rejection(rawSend(ses, big));

    // Assess
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe("Message length is more than 10485760 bytes long: '10485761'.");
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(await emlFiles(dir)).toEqual([]);
  });

  it('accepts a message of exactly maxMessageBytes and rejects one byte more', async () => {
    // Prepare
    const { ses, dir } = await harness({ maxMessageBytes: 4096 });
    const head = 'From: a@concierge.example.com\r\nTo: b@example.org\r\n\r\n';
    const sized = (n: number) => Buffer.concat([Buffer.from(head), Buffer.alloc(n - head.length, 'x')]);

    // Act
    const accepted = await rawSend(ses, sized(4096));
    const error = await rejection(rawSend(ses, sized(4097)));

    // Assess
    expect(accepted.MessageId).toMatch(SES_ID);
    expect(error.name).toBe('InvalidParameterValue');
    expect(await emlFiles(dir)).toHaveLength(1);
  });

  it('refuses a request body over the cap with 413, and the SDK still sees the error', async () => {
    // Prepare
    const { ses, dir } = await harness();
    const huge = Buffer.concat([Buffer.from('From: a@concierge.example.com\r\nTo: b@example.org\r\n\r\n'), Buffer.alloc(16 * 1024 * 1024, 'B')]);

    // Act
    const error = await rejection(rawSend(ses, huge));

    // Assess
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.$metadata.httpStatusCode).toBe(413);
    expect(await emlFiles(dir)).toEqual([]);
  });

  it('refuses a chunked body (no Content-Length) once it passes the cap', async () => {
    // Prepare
    const { endpoint } = await harness();
    const chunk = Buffer.alloc(1024 * 1024, 'C');

    // Act
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: endpoint.port, method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.write('Action=SendRawEmail&RawMessage.Data=');
      let sent = 0;
      const pump = (): void => {
        while (sent < 20) {
          sent++;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });

    // Assess
    expect(result.status).toBe(413);
    expect(result.body).toContain('<Code>InvalidParameterValue</Code>');
  });

  it('rejects a message with no From header and no Source', async () => {
    // Prepare
    const { ses, dir } = await harness();

    // Act
    const error = await rejection(rawSend(ses, 'To: b@example.org\r\nSubject: who sent this\r\n\r\nx\r\n'));

    // Assess
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe("Missing required header 'From'.");
    expect(await emlFiles(dir)).toEqual([]);
  });

  it.each([
    ['no recipients at all', 'From: a@concierge.example.com\r\nSubject: nobody\r\n\r\nx', "Missing required header 'To'."],
    ['no blank line between header and body', 'From: a@concierge.example.com\r\nTo: b@example.org', 'blank line'],
    ['a body where the header should be', 'hello there\r\n\r\nx', 'Illegal header line'],
    ['two In-Reply-To fields', 'From: a@concierge.example.com\r\nTo: b@example.org\r\nIn-Reply-To: <1@x>\r\nIn-Reply-To: <2@x>\r\n\r\nx', "Duplicate header 'In-Reply-To'."],
    ['more than 50 recipients', `From: a@concierge.example.com\r\nTo: ${Array.from({ length: 51 }, (_, i) => `u${i}@example.org`).join(', ')}\r\n\r\nx`, 'Recipient count exceeds 50.'],
    ['a recipient without a domain', 'From: a@concierge.example.com\r\nTo: nobody\r\n\r\nx', "Missing final '@domain'"],
  ])('rejects %s', async (_label, raw, message) => {
    // Prepare
    const { ses, dir } = await harness();

    // Act
    const error = await rejection(rawSend(ses, raw));

    // Assess
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain(message);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(await emlFiles(dir)).toEqual([]);
  });

  it('answers an action it does not implement with InvalidAction', async () => {
    // Prepare
    const { ses } = await harness();

    // Act
    const error = await rejection(ses.send(new ListIdentitiesCommand({})));

    // Assess
    expect(error.name).toBe('InvalidAction');
    expect(error.message).toContain('ListIdentities');
  });
});

describe('SendEmail (simple form)', () => {
  it('builds the message, assigns the SES Message-ID and keeps Bcc in the envelope only', async () => {
    // Prepare
    const { ses, dir, endpoint } = await harness({ region: 'ap-southeast-1' });

    // Act
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        Source: 'Concierge <support@concierge.example.com>',
        Destination: { ToAddresses: ['alice@example.org'], CcAddresses: ['lead@concierge.example.com'], BccAddresses: ['audit@concierge.example.com'] },
        ReplyToAddresses: ['reply+t42@concierge.example.com'],
        Message: {
          Subject: { Data: '您的工单已收到 #42', Charset: 'UTF-8' },
          Body: { Text: { Data: 'We have your ticket.', Charset: 'UTF-8' }, Html: { Data: '<p>We have your ticket.</p>', Charset: 'UTF-8' } },
        },
      }),
    );

    // Assess
    const { data } = await onlyDelivered(dir);
    expect(rawField(data, 'Message-ID')).toEqual([`Message-ID: <${MessageId}@ap-southeast-1.amazonses.com>\r\n`]);
    expect(rawField(data, 'Bcc')).toEqual([]);
    expect(data.includes('audit@concierge.example.com')).toBe(false);
    expect(rawField(data, 'Reply-To')[0]).toContain('reply+t42@concierge.example.com');
    const [summary] = (await (await fetch(`${endpoint.url}/api/messages`)).json()) as LocalSesMessageSummary[];
    expect(summary).toMatchObject({
      subject: '您的工单已收到 #42',
      sesMessageId: MessageId,
      envelope: { source: 'Concierge <support@concierge.example.com>', destinations: ['alice@example.org', 'lead@concierge.example.com', 'audit@concierge.example.com'] },
    });
  });
});

describe('browser mailbox', () => {
  let h: Harness;
  let ids: string[];

  beforeEach(async () => {
    h = await harness();
    ids = [];
    ids.push((await rawSend(h.ses, await threadedReply())).MessageId ?? '');
    const hostile = await threadedReply({
      subject: '<script>alert("subject")</script> & "quotes"',
      html: '<p>hi</p><script>alert("body")</script><img src="http://tracker.example/pixel.gif">',
    });
    ids.push((await rawSend(h.ses, hostile)).MessageId ?? '');
  });

  it('lists messages newest first with every subject escaped', async () => {
    // Act
    const page = await getText(`${h.endpoint.url}/`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(page.text.indexOf(`000002-${ids[1]}`)).toBeLessThan(page.text.indexOf(`000001-${ids[0]}`));
    expect(page.text).toContain('工单 #42');
  });

  it('shows one message with raw headers and text, the HTML only in a sandboxed frame', async () => {
    // Prepare
    const file = `000002-${ids[1]}.eml`;

    // Act
    const page = await getText(`${h.endpoint.url}/messages/${file}`);
    const html = await getText(`${h.endpoint.url}/messages/${file}/html`);
    const raw = await fetch(`${h.endpoint.url}/messages/${file}/raw`);
    const rawBytes = Buffer.from(await raw.arrayBuffer());

    // Assess
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>');
    expect(page.text).not.toContain('<img');
    expect(page.text).toContain(`Message-ID: &lt;${ids[1]}@email.amazonses.com&gt;`);
    expect(page.text).toContain('References: &lt;ticket-42.msg-0');
    expect(page.text).toContain('your withdrawal is being reviewed.');
    expect(page.text).toMatch(/<iframe sandbox="" [^>]*src="\/messages\/000002-[^"]+\/html"/);
    expect(html.headers.get('content-security-policy')).toMatch(/^sandbox;.*default-src 'none'/);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(rawBytes.equals(await readFile(join(h.dir, file)))).toBe(true);
  });

  it('serves the list as JSON in send order', async () => {
    // Act
    const response = await fetch(`${h.endpoint.url}/api/messages`);
    const list = (await response.json()) as LocalSesMessageSummary[];

    // Assess
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(list.map((m) => m.sesMessageId)).toEqual(ids);
    expect(list[0]).toMatchObject({
      file: `000001-${ids[0]}.eml`,
      messageId: `<${ids[0]}@email.amazonses.com>`,
      from: '"Concierge Support" <support@concierge.example.com>',
      to: '"Alice Chen" <alice@example.org>',
      subject: 'Re: 工单 #42 — ваш запрос о выводе средств (withdrawal) [VIP]',
    });
    expect(Date.parse(list[0]?.date ?? '')).not.toBeNaN();
  });

  it.each([
    '/messages/../../../../etc/passwd',
    '/messages/..%2F..%2Fpackage.json',
    '/messages/%2e%2e%2f%2e%2e%2fpackage.json/raw',
    '/messages/..%5c..%5cpackage.json/raw',
    '/messages/000001-..%2F..%2Fx.eml/raw',
    '/messages/%E0%A4%A',
    '/messages/000099-0100000000000000-00000000-0000-0000-0000-000000000000-000000.eml',
  ])('refuses %s', async (path) => {
    // Act
    const response = await getVerbatim(h.endpoint, path);

    // Assess
    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toContain('root:');
    expect(response.body).not.toContain('"name"');
  });
});

describe('close()', () => {
  it('stops the server even while SDK keep-alive connections are open', async () => {
    // Prepare
    const { ses, endpoint } = await harness();
    await rawSend(ses, 'From: a@concierge.example.com\r\nTo: b@example.org\r\n\r\nx');

    // Act
    await endpoint.close();

    // Assess
    await expect(fetch(`${endpoint.url}/api/messages`)).rejects.toThrow();
  });
});
