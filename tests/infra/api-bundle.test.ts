/**
 * The API as its Lambda bundle runs it: reading tickets loads nothing it does not need, and answering a
 * customer (SES client, MIME encoders, the reply-address secret's client) loads its deferred modules on first
 * use and writes exactly what the source writes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMail } from '../../functions/outbound/acknowledgement';
import { composeMime } from '../../functions/outbound/compose-mime';
import { deferredModulesWith, FUNCTION_DEFERRED_MODULES } from '../../lib/concierge-function';
import { API_ENTRY, buildDeployedBundle, type DeployedBundle } from '../../scripts/bench/lambda-child';
import { PROJECT_ROOT } from '../helpers/corpus';

const ANSWER: OutboundMail = {
  from: { name: 'Mia Chen（客服）', address: 'support@concierge.test' },
  to: 'vera@client.example',
  replyTo: 'support+ab12cd-xyz@concierge.test',
  subject: '[#AB12CD] Re: 提现 on hold',
  text: 'Anti-phishing code: BLUE_OWL_42\n\nThe hold is lifted. 已解除。\n',
  messageId: '<reply.ab12cd.abcdefghij.abcdefghijkl@concierge.test>',
  inReplyTo: '<m1@client.example>',
  references: ['<m1@client.example>'],
  headers: { 'X-Concierge-Ticket': 'AB12CD' },
};
const DATE = new Date('2026-11-21T10:00:00Z');

describe('the API bundle', () => {
  let dir: string;
  let api: DeployedBundle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concierge-api-bundle-'));
    api = await buildDeployedBundle(API_ENTRY, join(dir, 'api'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the SES client, the MIME encoders and the Secrets Manager client out of index.mjs, beside it in deferred/', () => {
    const inputs = Object.keys(api.metafile.inputs);
    for (const name of Object.keys(FUNCTION_DEFERRED_MODULES.api)) {
      expect(inputs.filter((path) => path.startsWith(`node_modules/${name}/`)), name).toEqual([]);
      expect(existsSync(join(dirname(api.file), 'deferred', `${name}.cjs`)), name).toBe(true);
    }
  });

  it('composes an answer through the deferred encoders exactly as the source does, loading them on first use', async () => {
    // Prepare: the answer path alone, bundled with the API's deferred modules
    const entry = join(dir, 'answer-entry.ts');
    writeFileSync(
      entry,
      [
        `export { composeMime } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/outbound/compose-mime.ts'))};`,
        `export { createSesClient } from ${JSON.stringify(join(PROJECT_ROOT, 'functions/commons/clients/ses.ts'))};`,
      ].join('\n'),
    );
    const built = await buildDeployedBundle(entry, join(dir, 'answer'), { deferredModules: deferredModulesWith(FUNCTION_DEFERRED_MODULES.api) });
    const deferredDir = join(dirname(built.file), 'deferred/');
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.startsWith(deferredDir)).map((path) => path.slice(deferredDir.length)).sort();
    const bundled = (await import(pathToFileURL(built.file).href)) as { composeMime: typeof composeMime; createSesClient: () => { send: unknown; config: { maxAttempts: () => Promise<number> } } };
    expect(loaded()).toEqual([]);

    // Act
    const mime = await bundled.composeMime(ANSWER, DATE);
    const client = bundled.createSesClient();

    // Assess
    expect(mime.equals(await composeMime(ANSWER, DATE))).toBe(true);
    expect(typeof client.send).toBe('function');
    expect(await client.config.maxAttempts()).toBe(1);
    expect(loaded()).toEqual(['@aws-sdk/client-ses.cjs', 'libmime.cjs', 'libqp.cjs']);
  });
});
