/**
 * What of a staff member's emailed reply reaches the customer: replies to a real notification shaped as Gmail,
 * Outlook, Apple Mail and Thunderbird write them, and talon's corpus of real replies.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseInboundMail } from '../../functions/mail/parse';
import { EMPTY_STAFF_REPLY, staffReplyText } from '../../functions/mail/staff-reply-text';
import { buildStaffNotification } from '../../functions/outbound/notification';
import { REPLY_ABOVE_MARKER } from '../../functions/outbound/template-parts';

const TALON_STANDARD = fileURLToPath(new URL('../../../shared/corpus/replies/talon/standard_replies', import.meta.url));

const notification = buildStaffNotification({
  ticket: { ref: 'K7Q3XM', subject: 'Withdrawal stuck', tier: 'vip', priority: 'urgent', flags: ['unverified-sender'], firstResponseDueAt: '2026-11-21T11:00:00Z' },
  assignee: { email: 'mia@desk.test' },
  customer: { address: 'dana@customer.example', tier: 'vip', openTickets: 2, lastContactAt: '2026-11-01T08:30:00Z' },
  text: 'My withdrawal has been pending for 3 hours.\n\n-- \nDana',
  assignmentReason: "you are this client's dedicated manager",
  followUp: false,
  support: { name: 'Concierge', address: 'support@concierge.test' },
  replyAddress: 'support+k7q3xm.st-mia.abcdefghijklmnopqrst@concierge.test',
  messageId: '<notify.k7q3xm.1@concierge.test>',
}).text;

const quoted = notification.split('\n').map((line) => (line === '' ? '>' : `> ${line}`)).join('\n');
const ANSWER = 'Hi Dana,\n\nYour withdrawal is confirmed on chain now.';
/** Words of the notification that must never reach a customer. */
const INTERNAL = ['Open tickets', 'Why you', 'UNVERIFIED', 'First response due', REPLY_ABOVE_MARKER];

function relayed(body: { text?: string; html?: string }): string {
  const result = staffReplyText(body);
  if (!result.ok) throw new Error(`rejected: ${result.explanation}`);
  for (const word of INTERNAL) expect(result.text).not.toContain(word);
  return result.text;
}

describe('staff reply text, as mail clients write replies to a notification', () => {
  it('Gmail: answer, attribution, `>`-quoted notification, signature', () => {
    const text = `${ANSWER}\n\n-- \nMia Chen\nAccount manager\n\nOn Sat, Nov 21, 2026 at 10:01 AM Concierge <support+k7q3xm.st-mia.abcdefghijklmnopqrst@concierge.test> wrote:\n\n${quoted}\n`;
    expect(relayed({ text })).toBe(ANSWER);
  });

  it('Gmail, HTML only: the gmail_quote block', () => {
    const html = `<div dir="ltr">Hi Dana,<div><br></div><div>Your withdrawal is confirmed on chain now.</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Sat, Nov 21, 2026 at 10:01 AM Concierge &lt;support@concierge.test&gt; wrote:<br></div><blockquote class="gmail_quote">${notification.split('\n').join('<br>')}</blockquote></div>`;
    // Gmail's `<div><br></div>` renders as two blank lines; the words and their order are what matter here.
    expect(relayed({ html }).replace(/\n{3,}/g, '\n\n')).toBe(ANSWER);
  });

  it('Outlook: the notification below a header block, not quoted at all', () => {
    const text = `${ANSWER}\n\nMia Chen\n\nFrom: Concierge <support@concierge.test>\nSent: Saturday, November 21, 2026 10:01 AM\nTo: Mia Chen <mia@desk.test>\nSubject: [#K7Q3XM] Withdrawal stuck\n\n${notification}\n`;
    // Outlook's own signature is plain text without a delimiter, so the name stays, as it would in any mail.
    expect(relayed({ text })).toBe(`${ANSWER}\n\nMia Chen`);
  });

  it('Outlook, HTML only: divRplyFwdMsg and the unquoted notification', () => {
    const html = `<html><body><div class="WordSection1"><p class="MsoNormal">Hi Dana,</p><p class="MsoNormal">&nbsp;</p><p class="MsoNormal">Your withdrawal is confirmed on chain now.</p></div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>From:</b> Concierge<br><b>Sent:</b> Saturday, November 21, 2026 10:01 AM</div><div>${notification.split('\n').join('<br>').replace(REPLY_ABOVE_MARKER, REPLY_ABOVE_MARKER.replaceAll(' ', '&nbsp;'))}</div></body></html>`;
    expect(relayed({ html })).toBe(ANSWER);
  });

  it('Apple Mail: answer, "On … wrote:", quoted notification', () => {
    const text = `${ANSWER}\n\nSent from my iPhone\n\n> On 21 Nov 2026, at 10:01, Concierge <support@concierge.test> wrote:\n>\n${quoted}\n`;
    expect(relayed({ text })).toBe(ANSWER);
  });

  it('Thunderbird, top-posted: answer, signature, attribution, quoted notification', () => {
    const text = `${ANSWER}\n\n-- \nMia Chen, Concierge\n\nOn 21/11/2026 10:01, Concierge wrote:\n${quoted}\n`;
    expect(relayed({ text })).toBe(ANSWER);
  });

  it('Chinese clients: "在 … 写道：" above the quote', () => {
    const text = `您好，已到账。\n\n在 2026年11月21日 10:01，Concierge <support@concierge.test> 写道：\n${quoted}\n`;
    expect(relayed({ text })).toBe('您好，已到账。');
  });

  it('takes the text above the marker even when the client dropped the attribution', () => {
    expect(relayed({ text: `${ANSWER}\n\n${notification}` })).toBe(ANSWER);
  });

  it('without the marker, relays the visible text and never the history below it', () => {
    const withoutMarker = quoted.split('\n').slice(2).join('\n');
    const text = `${ANSWER}\n\nOn Sat, Nov 21, 2026 at 10:01 AM Concierge <support@concierge.test> wrote:\n\n${withoutMarker}\n`;
    expect(relayed({ text })).toBe(ANSWER);
  });
});

describe('staff reply text: nothing to relay', () => {
  const empty = { ok: false, reason: 'empty-reply', explanation: EMPTY_STAFF_REPLY };

  it('an empty reply above a quoted notification is refused with a reason', () => {
    const text = `\n\nOn Sat, Nov 21, 2026 at 10:01 AM Concierge <support@concierge.test> wrote:\n\n${quoted}\n`;
    expect(staffReplyText({ text })).toEqual(empty);
  });

  it('an Outlook reply with nothing typed above the header block is refused, not relayed as pasted mail', () => {
    const text = `\nFrom: Concierge <support@concierge.test>\nSent: Saturday, November 21, 2026 10:01 AM\nTo: Mia Chen <mia@desk.test>\nSubject: [#K7Q3XM] Withdrawal stuck\n\n${notification}\n`;
    expect(staffReplyText({ text })).toEqual(empty);
    // Even with the marker gone, the header block ends the new text.
    expect(staffReplyText({ text: text.replace(REPLY_ABOVE_MARKER, '') })).toEqual(empty);
  });

  it('only a signature or a device line is nothing to relay', () => {
    expect(staffReplyText({ text: `-- \nMia Chen\n\n${quoted}` })).toEqual(empty);
    expect(staffReplyText({ text: `Sent from my iPhone\n\n${quoted}` })).toEqual(empty);
  });

  it('a bottom-posted answer, below the marker, is refused: below it nothing tells the notification from the answer', () => {
    const text = `On 21/11/2026 10:01, Concierge wrote:\n${quoted}\n\n${ANSWER}\n`;
    expect(staffReplyText({ text })).toEqual(empty);
  });

  it('no body at all', () => {
    expect(staffReplyText({})).toEqual(empty);
    expect(staffReplyText({ text: '  \n', html: ' ' })).toEqual(empty);
  });
});

describe('staff reply text on talon’s real replies', () => {
  const files = readdirSync(TALON_STANDARD).filter((name) => name.endsWith('.eml'));

  it.each(files)('%s relays exactly "Hello"', async (name) => {
    const mail = await parseInboundMail(readFileSync(join(TALON_STANDARD, name)));
    const result = staffReplyText({ ...(mail.text ? { text: mail.text } : {}), ...(mail.html ? { html: mail.html } : {}) });
    expect(result).toEqual({ ok: true, text: 'Hello' });
  });
});
