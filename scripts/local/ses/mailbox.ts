/** The browser mailbox over the outbox: a list, one message with its raw headers, its raw .eml and HTML. */
import { open, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { EML_NAME, type LocalSesEnvelope, type Outbox } from './outbox';

/** One row of `GET /api/messages`. */
export interface LocalSesMessageSummary {
  file: string;
  messageId: string | null;
  from: string;
  to: string;
  subject: string;
  date: string | null;
  sesMessageId: string;
  acceptedAt: string | null;
  envelope: { source: string | null; destinations: string[] } | null;
}

const MIB = 1024 * 1024;
/** Headers are read on their own for the mailbox list; a header block larger than this is not a mail. */
const MAX_HEADER_BLOCK_BYTES = 1 * MIB;

async function readHeaderBlock(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      const sofar = Buffer.concat(chunks);
      const end = headerEnd(sofar);
      if (end !== -1) return sofar.subarray(0, end);
      if (total > MAX_HEADER_BLOCK_BYTES) return sofar;
    }
    return Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}

/** Offset just past the blank line that ends the header block, or -1. */
function headerEnd(data: Buffer): number {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  if (crlf === -1) return lf === -1 ? -1 : lf + 2;
  if (lf === -1 || crlf < lf) return crlf + 4;
  return lf + 2;
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

async function readEnvelope(outbox: Outbox, file: string): Promise<LocalSesEnvelope | null> {
  try {
    return JSON.parse(await readFile(join(outbox.dir, file.replace(/\.eml$/, '.envelope.json')), 'utf8')) as LocalSesEnvelope;
  } catch {
    return null;
  }
}

async function summarize(outbox: Outbox, file: string): Promise<LocalSesMessageSummary> {
  const path = join(outbox.dir, file);
  const [parsed, envelope] = await Promise.all([
    readHeaderBlock(path).then((headers) => simpleParser(headers)),
    readEnvelope(outbox, file),
  ]);
  return {
    file,
    messageId: parsed.messageId ?? null,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    subject: parsed.subject ?? '',
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : null,
    sesMessageId: EML_NAME.exec(file)?.[2] ?? '',
    acceptedAt: envelope?.acceptedAt ?? null,
    envelope: envelope ? { source: envelope.source, destinations: envelope.destinations } : null,
  };
}

export function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'";
/**
 * For the mail's own HTML: `sandbox` (no scripts, opaque origin) applies even when the URL is
 * opened directly rather than in the iframe, and `default-src 'none'` stops remote images and
 * tracking pixels from calling home.
 */
const MAIL_HTML_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:";

export function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${htmlEscape(title)}</title><style>` +
    'body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}' +
    'td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}' +
    'pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.75em}' +
    'iframe{width:100%;height:30em;border:1px solid #ccc}.muted{color:#777}' +
    `</style></head><body>${body}</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(html);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(body);
}

function notFound(res: ServerResponse): void {
  sendPage(res, 404, 'Not found', '<h1>Not found</h1><p><a href="/">Back to the mailbox</a></p>');
}

async function listPage(outbox: Outbox, res: ServerResponse): Promise<void> {
  const files = (await outbox.list()).reverse();
  const rows = await Promise.all(files.map((file) => summarize(outbox, file)));
  const body = rows
    .map((m) => {
      const href = `/messages/${encodeURIComponent(m.file)}`;
      return (
        `<tr><td>${htmlEscape(m.acceptedAt ?? m.date ?? '')}</td><td>${htmlEscape(m.from)}</td>` +
        `<td>${htmlEscape(m.to || (m.envelope?.destinations.join(', ') ?? ''))}</td>` +
        `<td><a href="${htmlEscape(href)}">${htmlEscape(m.subject || '(no subject)')}</a></td></tr>`
      );
    })
    .join('');
  sendPage(
    res,
    200,
    'Local SES outbox',
    `<h1>Local SES outbox</h1><p class="muted">${rows.length} message(s), newest first. ` +
      `<a href="/api/messages">JSON</a></p>` +
      `<table><thead><tr><th>Accepted</th><th>From</th><th>To</th><th>Subject</th></tr></thead><tbody>${body}</tbody></table>`,
  );
}

async function messagePage(outbox: Outbox, file: string, path: string, res: ServerResponse): Promise<void> {
  const raw = await readFile(path);
  const end = headerEnd(raw);
  const headerText = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
  const [parsed, envelope]: [ParsedMail, LocalSesEnvelope | null] = await Promise.all([simpleParser(raw), readEnvelope(outbox, file)]);
  const base = `/messages/${encodeURIComponent(file)}`;
  const attachments = parsed.attachments
    .map((a) => `<li>${htmlEscape(a.filename ?? '(unnamed)')} — ${htmlEscape(a.contentType)}, ${a.size} bytes</li>`)
    .join('');
  const html = typeof parsed.html === 'string' && parsed.html !== '';
  sendPage(
    res,
    200,
    parsed.subject ?? file,
    `<p><a href="/">← Outbox</a> · <a href="${htmlEscape(`${base}/raw`)}">Raw .eml</a></p>` +
      `<h1>${htmlEscape(parsed.subject ?? '(no subject)')}</h1>` +
      `<table><tr><th>SES MessageId</th><td>${htmlEscape(EML_NAME.exec(file)?.[2] ?? '')}</td></tr>` +
      `<tr><th>Envelope from</th><td>${htmlEscape(envelope?.source ?? '')}</td></tr>` +
      `<tr><th>Envelope to</th><td>${htmlEscape(envelope?.destinations.join(', ') ?? '')}</td></tr>` +
      `<tr><th>Accepted</th><td>${htmlEscape(envelope?.acceptedAt ?? '')}</td></tr></table>` +
      `<h2>Headers</h2><pre>${htmlEscape(headerText)}</pre>` +
      `<h2>Text</h2><pre>${htmlEscape(parsed.text ?? '(no text part)')}</pre>` +
      (attachments ? `<h2>Attachments</h2><ul>${attachments}</ul>` : '') +
      (html
        ? `<h2>HTML part (sandboxed, no scripts, no remote content)</h2>` +
          `<iframe sandbox="" referrerpolicy="no-referrer" src="${htmlEscape(`${base}/html`)}"></iframe>`
        : ''),
  );
}

export async function routeMailbox(outbox: Outbox, pathname: string, res: ServerResponse): Promise<void> {
  if (pathname === '/' || pathname === '/messages' || pathname === '/messages/') {
    await listPage(outbox, res);
    return;
  }
  if (pathname === '/api/messages') {
    const files = await outbox.list();
    sendJson(res, 200, await Promise.all(files.map((file) => summarize(outbox, file))));
    return;
  }
  const match = /^\/messages\/([^/]+)(\/raw|\/html)?$/.exec(pathname);
  if (!match?.[1]) {
    notFound(res);
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(match[1]);
  } catch {
    sendPage(res, 400, 'Bad request', '<h1>Bad request</h1>');
    return;
  }
  // Only names the outbox itself produces are served, which rules out '..', slashes and
  // anything else that could step outside the directory.
  const path = await outbox.resolve(name);
  if (!path) {
    notFound(res);
    return;
  }
  if (match[2] === '/raw') {
    const data = await readFile(path);
    res.writeHead(200, {
      'content-type': 'message/rfc822',
      'content-length': data.length,
      'content-disposition': `inline; filename="${name}"`,
      'x-content-type-options': 'nosniff',
    });
    res.end(data);
    return;
  }
  if (match[2] === '/html') {
    const parsed = await simpleParser(await readFile(path));
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': MAIL_HTML_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(typeof parsed.html === 'string' ? parsed.html : '');
    return;
  }
  await messagePage(outbox, name, path, res);
}
