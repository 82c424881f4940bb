/**
 * Mail parsing as the Lambda bundles run it: built with the deployed esbuild options, whose aliases put
 * deferred stand-ins (lib/bundling/lazy) in front of charset tables and HTML conversion, and with the
 * deferred modules built beside it. Rare charsets and HTML must still come out as they do from the source.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInboundMail } from '../../functions/mail/parse';
import { senderTrust } from '../../functions/mail/trust';
import { extractVisibleText } from '../../functions/mail/visible-text';
import { DEFERRED_MODULES } from '../../lib/concierge-function';
import { buildDeployedBundle, type DeployedBundle } from '../../scripts/bench/lambda-child';
import { listCorpusFiles, PROJECT_ROOT } from '../helpers/corpus';

interface BundledMail {
  parseInboundMail: typeof parseInboundMail;
  extractVisibleText: typeof extractVisibleText;
  senderTrust: typeof senderTrust;
}

describe('the deployed bundle with deferred modules', () => {
  let dir: string;
  let built: DeployedBundle;
  let bundled: BundledMail;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concierge-bundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `export { parseInboundMail } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/mail/parse.ts'))};`,
        `export { extractVisibleText } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/mail/visible-text.ts'))};`,
        `export { senderTrust } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/mail/trust.ts'))};`,
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
      expect(inputs.filter((path) => path.includes(`node_modules/${name}/`))).toEqual([]);
      expect(existsSync(join(dirname(built.file), 'deferred', `${name}.cjs`))).toBe(true);
    }
    expect(inputs.filter((path) => /node_modules\/(entities|htmlparser2)\//.test(path))).toEqual([]);
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
