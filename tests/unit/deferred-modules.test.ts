/**
 * The stand-ins the Lambda bundles use for modules an ordinary message never calls
 * (lib/bundling/lazy): nothing is loaded until first use, and then they behave as the real modules.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/corpus';

const requireFromProject = createRequire(join(PROJECT_ROOT, 'package.json'));
const LAZY = join(PROJECT_ROOT, 'lib/bundling/lazy');

/**
 * Which of `packages` a fresh Node process has loaded after requiring the stand-in `shim` and running
 * `use` on it (this test process shares its module cache with whatever else ran in the worker).
 */
function loadedAfter(shim: string, use: string, packages: string[]): string[] {
  const script = `
    const shim = require(${JSON.stringify(join(LAZY, shim))});
    ${use};
    const loaded = Object.keys(require.cache);
    process.stdout.write(JSON.stringify(${JSON.stringify(packages)}.filter((p) => loaded.some((path) => path.includes('/node_modules/' + p + '/')))));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

function isLoaded(packageName: string): boolean {
  return loadedAfter(`${packageName}.cjs`, '', [packageName]).length > 0;
}

describe('deferred modules', () => {
  it('iconv-lite and encoding-japanese load on first call and decode like the real ones', () => {
    // Prepare
    const iconv = requireFromProject(join(LAZY, 'iconv-lite.cjs')) as { decode(buffer: Buffer, charset: string): string };
    const japanese = requireFromProject(join(LAZY, 'encoding-japanese.cjs')) as { convert(data: Buffer, options: object): string };
    expect(isLoaded('iconv-lite')).toBe(false);
    expect(isLoaded('encoding-japanese')).toBe(false);

    // Act
    const chinese = iconv.decode(Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), 'gbk');
    const jis = japanese.convert(Buffer.from('\x1b$B$3$s$K$A$O\x1b(B', 'latin1'), { to: 'UNICODE', from: 'JIS', type: 'string' });

    // Assess
    expect(chinese).toBe('你好');
    expect(jis).toBe('こんにちは');
    expect(loadedAfter('iconv-lite.cjs', "shim.decode(Buffer.from('a'), 'gbk')", ['iconv-lite'])).toEqual(['iconv-lite']);
  });

  it('html-to-text loads on first call', () => {
    // Prepare
    const htmlToText = requireFromProject(join(LAZY, 'html-to-text.cjs')) as { compile(options: object): (html: string) => string; htmlToText(html: string): string };
    expect(isLoaded('html-to-text')).toBe(false);

    // Act / Assess
    expect(htmlToText.compile({ wordwrap: false })('<p>Order <b>8812734</b></p>')).toBe('Order 8812734');
    expect(htmlToText.htmlToText('<p>a</p><p>b</p>')).toBe('a\n\nb');
    expect(loadedAfter('html-to-text.cjs', "shim.htmlToText('<p>a</p>')", ['html-to-text'])).toEqual(['html-to-text']);
  });

  it('linkify-it records its configuration and applies it when first asked for a match', () => {
    // Prepare: configured the way mailparser configures it at load
    const createLinkify = requireFromProject(join(LAZY, 'linkify-it.cjs')) as () => {
      tlds(list: string | string[], keep?: boolean): ReturnType<typeof createLinkify>;
      add(schema: string, definition: unknown): ReturnType<typeof createLinkify>;
      set(options: object): ReturnType<typeof createLinkify>;
      match(text: string): Array<{ url: string }> | null;
    };
    const linkify = createLinkify().tlds('onion', true).add('git:', 'http:').set({ fuzzyEmail: true });
    expect(loadedAfter('linkify-it.cjs', "shim().tlds('onion', true).add('git:', 'http:')", ['linkify-it'])).toEqual([]);

    // Act
    const links = linkify.match('see http://exchange.onion/x and git://host/repo');

    // Assess
    expect(links?.map((link) => link.url)).toEqual(['http://exchange.onion/x', 'git://host/repo']);
    expect(loadedAfter('linkify-it.cjs', "shim().match('http://a.example')", ['linkify-it'])).toEqual(['linkify-it']);
  });

  it('he encodes with its default options without loading its tables, exactly as he does', () => {
    // Prepare
    const he = requireFromProject(join(LAZY, 'he.cjs')) as { encode(text: string, options?: object): string; decode(text: string): string };
    const real = requireFromProject('he') as typeof he;
    const everyCodeUnit = Array.from({ length: 0x10000 }, (_, unit) => String.fromCharCode(unit)).join('');
    const samples = [everyCodeUnit, 'Zoë "Ops" <ops@exchange.example> & `x`', '客服 <support@例子.cn>', 'emoji 😀 pair, lone \uD83D and \uDE00 halves', ''];

    // Act / Assess
    for (const sample of samples) expect(he.encode(sample)).toBe(real.encode(sample));
    expect(loadedAfter('he.cjs', "shim.encode('Alice <a@b.example> 😀')", ['he'])).toEqual([]);
    expect(he.encode('café <b>', { useNamedReferences: true })).toBe('caf&eacute; &lt;b&gt;');
    expect(he.decode('&eacute;&#x41;')).toBe('éA');
    expect(loadedAfter('he.cjs', "shim.encode('a', { useNamedReferences: true })", ['he'])).toEqual(['he']);
    expect(loadedAfter('he.cjs', "shim.decode('&amp;')", ['he'])).toEqual(['he']);
  });
});
