/**
 * What of a staff member's emailed reply to a notification is relayed to the customer.
 *
 * A notification opens with a marker line (REPLY_ABOVE_MARKER). When the reply still holds it — quoted with
 * `>` or, as Outlook does, not quoted at all — only what was written above it counts: the attribution or
 * header block a client puts above the quoted notification and the staff member's signature are removed as
 * visible-text.ts removes them from any reply. Without the marker, the reply's visible text is taken.
 *
 * Two choices keep the notification's internal lines (the customer's tier, open tickets, flags) from ever
 * reaching the customer:
 * - Text written below the marker (a bottom-posted or inline reply) is not relayed; the sender is told to
 *   write above the line. Below the marker, nothing tells the notification's lines from the staff member's
 *   when a client does not quote with `>`.
 * - visible-text.ts keeps a message that opens with history as pasted mail (a customer forwarding a phishing
 *   mail means all of it); for a staff reply, history is always the notification, so the text is read as if
 *   something were typed above it, and a reply with nothing typed is empty.
 */
import { extractVisibleText, MAX_HTML_CHARS, MAX_TEXT_CHARS, MAX_TEXT_LINES } from './visible-text';
import { REPLY_ABOVE_MARKER } from '../outbound/template-parts';

export type StaffReplyText =
  | { ok: true; text: string }
  | { ok: false; reason: 'empty-reply'; explanation: string };

export const EMPTY_STAFF_REPLY = 'the reply has no text above the quoted notification';

/**
 * Stands for "something typed above": a line no mail client writes (a private-use character), put on top of
 * the text before extraction and taken off after.
 */
const TYPED_ABOVE = '\uE001';

/** The text to relay from a staff member's reply, or why there is none. */
export function staffReplyText(body: { text?: string; html?: string }): StaffReplyText {
  const text = typeof body.text === 'string' ? body.text.slice(0, MAX_TEXT_CHARS) : '';
  const html = typeof body.html === 'string' ? body.html.slice(0, MAX_HTML_CHARS) : '';
  let visible: string;
  if (text.trim() !== '') {
    visible = visibleAsTyped({ text: textAboveMarker(text) });
  } else if (html.trim() !== '') {
    visible = visibleAsTyped({ html: htmlAboveMarker(html) });
  } else {
    visible = '';
  }
  return visible === '' ? { ok: false, reason: 'empty-reply', explanation: EMPTY_STAFF_REPLY } : { ok: true, text: visible };
}

/** The lines above the first line that holds the marker (whatever quoting or spacing a client gave it). */
function textAboveMarker(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n', MAX_TEXT_LINES);
  const at = lines.findIndex(holdsMarker);
  return at === -1 ? lines.join('\n') : lines.slice(0, at).join('\n');
}

function holdsMarker(line: string): boolean {
  // A marker line is short; a long line is read no further than a marker could reach into it.
  return normaliseSpaces(line.slice(0, 400)).includes(REPLY_ABOVE_MARKER);
}

/** The marker as HTML may write it: its words apart by any run of spaces, line breaks or `&nbsp;`. */
const MARKER_IN_HTML = new RegExp(
  REPLY_ABOVE_MARKER.split(' ')
    .map((word) => word.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'))
    .join('(?:\\s|\u00a0|&nbsp;|&#160;|&#xa0;)+'),
  'i',
);

/** The HTML before the marker's text; the renderer closes whatever elements the cut leaves open. */
function htmlAboveMarker(html: string): string {
  const at = html.search(MARKER_IN_HTML);
  return at === -1 ? html : html.slice(0, at);
}

function normaliseSpaces(text: string): string {
  return text.replace(/[\s\u00a0]+/g, ' ');
}

function visibleAsTyped(body: { text: string } | { html: string }): string {
  const visible =
    'text' in body
      ? extractVisibleText({ text: `${TYPED_ABOVE}\n\n${body.text}` })
      : extractVisibleText({ html: `<div>${TYPED_ABOVE}</div><br>${body.html}` });
  const lines = visible.split('\n');
  if (lines[0]?.trim() === TYPED_ABOVE) lines.shift();
  return lines.join('\n').replaceAll(TYPED_ABOVE, '').trim();
}
