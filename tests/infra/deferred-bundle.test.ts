/**
 * Mail parsing as the Lambda bundles run it: built with the deployed esbuild options, whose aliases put
 * deferred stand-ins (lib/bundling/lazy) in front of charset tables and HTML conversion, and with the
 * deferred modules built beside it. Rare charsets and HTML must still come out as they do from the source.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInboundMail } from '../../functions/mail/parse';
import { senderTrust } from '../../functions/mail/trust';
import { extractVisibleText } from '../../functions/mail/visible-text';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import { composeMime } from '../../functions/outbound/compose-mime';
import { DEFERRED_MODULES } from '../../lib/concierge-function';
import { buildDeployedBundle, type DeployedBundle } from '../../scripts/bench/lambda-child';
import { listCorpusFiles, PROJECT_ROOT } from '../helpers/corpus';

interface BundledMail {
  parseInboundMail: typeof parseInboundMail;
  extractVisibleText: typeof extractVisibleText;
  senderTrust: typeof senderTrust;
  composeMime: typeof composeMime;
}

const ACK_DATE = new Date('2026-11-21T10:00:00Z');

function acknowledgementTo(customer: string): OutboundMail {
  return {
    from: { name: 'Concierge Support', address: 'support@concierge.test' },
    to: customer,
    replyTo: 'support+ab12-xyz@concierge.test',
    subject: '[#AB12] 我们已收到您的邮件：提现',
    text: '您好，\n\n我们已收到您的邮件，工单编号为 AB12。',
    messageId: '<ack.AB12.xyz@concierge.test>',
    inReplyTo: '<m1@client.example>',
    references: ['<m1@client.example>', '<ack.AB12.xyz@concierge.test>'],
    headers: { 'Auto-Submitted': 'auto-replied' },
  };
}

describe('the deployed bundle with deferred modules', () => {
  let dir: string;
  let built: DeployedBundle;
  let bundled: BundledMail;
  /** The deferred modules the bundle has loaded so far, as paths under its `deferred/`. */
  const deferredLoaded = () => {
    const deferredDir = join(dirname(built.file), 'deferred/');
    return Object.keys(createRequire(import.meta.url).cache)
      .filter((path) => path.startsWith(deferredDir))
      .map((path) => path.slice(deferredDir.length))
      .sort();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concierge-bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `export { parseInboundMail } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/mail/parse.ts'))};`,
        `export { extractVisibleText } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/mail/visible-text.ts'))};`,
        `export { senderTrust } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/mail/trust.ts'))};`,
        `export { composeMime } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/outbound/compose-mime.ts'))};`,
      ].join('\n'),
    );
    built = await buildDeployedBundle(entry, join(dir, 'out'));
    bundled = (await import(pathToFileURL(built.file).href)) as BundledMail;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the deferred modules out of the bundle, in files of their own beside it', () => {
    const inputs = Object.keys(built.metafile.inputs);
    for (const name of Object.keys(DEFERRED_MODULES)) {
      expect(inputs).toContain(`lib/bundling/lazy/${name}.cjs`);
      const packageName = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0];
      expect(inputs.filter((path) => path.startsWith(`node_modules/${packageName}/`))).toEqual([]);
      expect(existsSync(join(dirname(built.file), 'deferred', `${name}.cjs`))).toBe(true);
    }
    expect(inputs.filter((path) => /node_modules\/(entities|htmlparser2)\//.test(path))).toEqual([]);
  });

  it('parses an ordinary message and writes its acknowledgement without loading any deferred module', async () => {
    // Prepare
    const raw = Buffer.from(
      'From: Alice <alice@customer.example>\r\nTo: support@concierge.test\r\nSubject: Withdrawal pending\r\nMessage-ID: <m1@client.example>\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n\r\nMy BTC withdrawal is pending. 请帮我看一下。\r\n',
    );

    // Act
    const mail = await bundled.parseInboundMail(raw);
    const mime = await bundled.composeMime(acknowledgementTo('alice@customer.example'), ACK_DATE);

    // Assess
    expect(mail.from?.address).toBe('alice@customer.example');
    expect(mime.equals(await composeMime(acknowledgementTo('alice@customer.example'), ACK_DATE))).toBe(true);
    expect(deferredLoaded()).toEqual([]);
  });

  it('loads nodemailer for an acknowledgement to an international domain, and writes what the source writes', async () => {
    // Act
    const mime = await bundled.composeMime(acknowledgementTo('alice@bücher.example'), ACK_DATE);

    // Assess
    expect(mime.equals(await composeMime(acknowledgementTo('alice@bücher.example'), ACK_DATE))).toBe(true);
    expect(mime.toString()).toContain('To: alice@xn--bcher-kva.example');
    expect(deferredLoaded()).toEqual(['nodemailer/lib/mail-composer.cjs']);
  });

  const letters = listCorpusFiles('charsets/letters').filter((file) => /(chinese|japanese)_plaintext|chinese_multipart_signed/.test(file));
  for (const file of letters) {
    it(`${file.slice(file.lastIndexOf('/') + 1)} parses as from the source`, async () => {
      // Act
      const raw = readFileSync(file);
      const fromBundle = await bundled.parseInboundMail(raw);
      const fromSource = await parseInboundMail(raw);

      // Assess
      expect(fromBundle.text).toBe(fromSource.text);
      expect(fromBundle.subject).toBe(fromSource.subject);
      expect(fromBundle.text ?? '').not.toContain('\uFFFD');
    });
  }

  it('aligns sender domains under the Public Suffix List loaded on first use', () => {
    const verdicts = { spf: 'PASS', dkim: 'GRAY', dmarc: 'GRAY', spam: 'PASS', virus: 'PASS' } as const;
    const evidence = { verdicts, fromDomain: 'example.co.uk', dkimPassDomains: [] };
    expect(bundled.senderTrust({ ...evidence, envelopeDomain: 'bounces.example.co.uk' })).toBe('aligned');
    expect(bundled.senderTrust({ ...evidence, envelopeDomain: 'evil.co.uk' })).toBe('unaligned');
  });

  it('converts HTML-only mail to visible text', async () => {
    // Prepare
    const raw = Buffer.from(
      'From: a@b.example\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div><p>My withdrawal &amp; deposit are stuck.</p><blockquote>old</blockquote></div>\r\n',
    );

    // Act
    const mail = await bundled.parseInboundMail(raw);

    // Assess
    expect(bundled.extractVisibleText({ ...(mail.html ? { html: mail.html } : {}) })).toBe(extractVisibleText({ ...(mail.html ? { html: mail.html } : {}) }));
    expect(bundled.extractVisibleText({ ...(mail.html ? { html: mail.html } : {}) })).toContain('My withdrawal & deposit are stuck.');
  });
});
