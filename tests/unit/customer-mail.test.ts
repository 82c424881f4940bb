import { describe, expect, it } from 'vitest';
import { buildAcknowledgement, type AcknowledgementInput } from '../../functions/outbound/acknowledgement';
import { buildCustomerReply, staffDisplayName, type CustomerReplyInput } from '../../functions/outbound/customer-reply';
import { baseSubject, boundedReferences, MAX_REFERENCES, sanitiseDisplayName } from '../../functions/outbound/template-parts';

const support = { name: 'Concierge Support', address: 'support@concierge.test' };

function reply(fields: Partial<CustomerReplyInput> = {}): CustomerReplyInput {
  return {
    ticket: { ref: 'K7Q3XM', subject: 'Deposit missing', language: 'en' },
    customer: 'dana@customer.example',
    staffName: 'Alice Wang',
    text: 'Hi Dana,\n\nThe deposit arrived and is credited now.\n',
    latestCustomerMessage: { messageId: '<c2@customer.example>', references: ['<c1@customer.example>', '<ack@ses>'] },
    support,
    replyAddress: 'support+k7q3xm-abcdefghijklmnop@concierge.test',
    messageId: '<reply.k7q3xm.1@concierge.test>',
    ...fields,
  };
}

function ack(fields: Partial<AcknowledgementInput> = {}): AcknowledgementInput {
  return {
    ticket: { id: 'K7Q3XM', ref: 'K7Q3XM', subject: 'Deposit', language: 'en', priority: 'normal', createdAt: '2026-11-21T10:00:00Z', firstResponseDueAt: '2026-11-21T11:00:00Z' },
    customer: 'dana@customer.example',
    customerReferences: [],
    support,
    replyAddress: 'support+k7q3xm-abc@concierge.test',
    messageId: '<ack.k7q3xm@concierge.test>',
    ...fields,
  };
}

describe('customer reply', () => {
  it('comes from the support address under the staff member’s name, threaded under the customer’s latest message', () => {
    const mail = buildCustomerReply(reply());
    expect(mail.from).toEqual({ name: 'Alice Wang (Support)', address: 'support@concierge.test' });
    expect(mail.to).toBe('dana@customer.example');
    expect(mail.replyTo).toBe('support+k7q3xm-abcdefghijklmnop@concierge.test');
    expect(mail.subject).toBe('[#K7Q3XM] Re: Deposit missing');
    expect(mail.inReplyTo).toBe('<c2@customer.example>');
    expect(mail.references).toEqual(['<c1@customer.example>', '<ack@ses>', '<c2@customer.example>', '<reply.k7q3xm.1@concierge.test>']);
  });

  it('is a person’s answer: no Auto-Submitted, but the ticket header', () => {
    const mail = buildCustomerReply(reply());
    expect(Object.keys(mail.headers).map((key) => key.toLowerCase())).not.toContain('auto-submitted');
    expect(mail.headers['X-Concierge-Ticket']).toBe('K7Q3XM');
  });

  it('relays the staff text, signed with their name, and frames it in English', () => {
    const mail = buildCustomerReply(reply());
    expect(mail.text).toContain('Hi Dana,\n\nThe deposit arrived and is credited now.\n\nAlice Wang\nConcierge Support');
    expect(mail.text).toContain('Security notice: our staff will never ask for your password');
  });

  it('frames it in Chinese for a Chinese ticket', () => {
    const mail = buildCustomerReply(reply({ ticket: { ref: 'K7Q3XM', subject: '充值未到账', language: 'zh' }, text: '您好，已到账。' }));
    expect(mail.from.name).toBe('Alice Wang（客服）');
    expect(mail.subject).toBe('[#K7Q3XM] Re: 充值未到账');
    expect(mail.text).toContain('安全提示：我们的工作人员绝不会向您索取密码');
    expect(mail.text).not.toContain('Security notice');
  });

  it('never piles up Re: or repeats the reference, whatever the ticket’s subject held', () => {
    for (const subject of ['Re: Deposit missing', 'RE: Re: [#K7Q3XM] Deposit missing', '回复：Deposit missing', 'Fwd: re:Deposit missing', 'Re[2]: Deposit missing']) {
      expect(buildCustomerReply(reply({ ticket: { ref: 'K7Q3XM', subject, language: 'en' } })).subject).toBe('[#K7Q3XM] Re: Deposit missing');
    }
  });

  it('keeps References bounded, the newest kept', () => {
    const references = Array.from({ length: 500 }, (_, i) => `<r${i}@x>`);
    const mail = buildCustomerReply(reply({ latestCustomerMessage: { messageId: '<c@x>', references } }));
    expect(mail.references).toHaveLength(MAX_REFERENCES);
    expect(mail.references.slice(-3)).toEqual(['<r499@x>', '<c@x>', '<reply.k7q3xm.1@concierge.test>']);
  });

  it('without a latest customer message, sets no In-Reply-To', () => {
    const mail = buildCustomerReply(reply({ latestCustomerMessage: undefined }));
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.references).toEqual(['<reply.k7q3xm.1@concierge.test>']);
  });
});

describe('staff display name', () => {
  it('cannot inject a header or pass for another address', () => {
    const name = staffDisplayName('Alice\r\nBcc: victim@x.example', 'Concierge', 'en');
    expect(name).not.toMatch(/[\r\n]/);
    expect(name).not.toContain('@');
    expect(staffDisplayName('"security@exchange.example" <security@exchange.example>', 'Concierge', 'en')).not.toMatch(/[@<>"]/);
    expect(staffDisplayName('Alice, Bob; Carol', 'Concierge', 'en')).toBe('Alice Bob Carol (Support)');
  });

  it('drops bidirectional overrides and invisible characters, and is bounded', () => {
    expect(sanitiseDisplayName('Ali\u202Ece\u200B Wang')).toBe('Ali ce Wang');
    expect(sanitiseDisplayName('x'.repeat(10_000)).length).toBeLessThanOrEqual(64);
  });

  it('falls back to the desk’s name when nothing of the name is left', () => {
    expect(staffDisplayName('<@>', 'Concierge', 'en')).toBe('Concierge');
  });
});

describe('anti-phishing code', () => {
  it('is the first line of a reply when the customer has one, in the ticket’s language', () => {
    expect(buildCustomerReply(reply({ antiPhishingCode: 'ABCD1234' })).text.split('\n')[0]).toBe('Anti-phishing code: ABCD1234');
    const zh = buildCustomerReply(reply({ antiPhishingCode: 'ABCD1234', ticket: { ref: 'K7Q3XM', subject: 'x', language: 'zh' } }));
    expect(zh.text.split('\n')[0]).toBe('防钓鱼码：ABCD1234');
  });

  it('is the first line of an acknowledgement, in the same wording', () => {
    expect(buildAcknowledgement(ack({ antiPhishingCode: 'ABCD1234' })).text.split('\n')[0]).toBe('Anti-phishing code: ABCD1234');
    const zh = buildAcknowledgement(ack({ antiPhishingCode: 'ABCD1234', ticket: { ...ack().ticket, language: 'zh' } }));
    expect(zh.text.split('\n')[0]).toBe('防钓鱼码：ABCD1234');
  });

  it('appears exactly once, and nowhere when not given', () => {
    const withCode = [buildCustomerReply(reply({ antiPhishingCode: 'ABCD1234' })), buildAcknowledgement(ack({ antiPhishingCode: 'ABCD1234' }))];
    for (const mail of withCode) {
      expect(mail.text.split('ABCD1234')).toHaveLength(2);
      expect(mail.subject).not.toContain('ABCD1234');
    }
    for (const mail of [buildCustomerReply(reply()), buildAcknowledgement(ack())]) {
      expect(mail.text).not.toMatch(/anti-phishing code|防钓鱼码/i);
      expect(mail.text.split('\n')[0]).not.toMatch(/code/i);
    }
    expect(buildAcknowledgement(ack()).text.split('\n')[0]).toBe('Hello,');
    expect(buildCustomerReply(reply()).text.split('\n')[0]).toBe('Hi Dana,');
  });
});

describe('acknowledgement of an authenticated VIP', () => {
  it('names their manager and the promised time', () => {
    const mail = buildAcknowledgement(ack({ manager: { name: 'Mia Chen' } }));
    expect(mail.text).toContain('Your account manager, Mia Chen, will reply within 1 hour.');
    const zh = buildAcknowledgement(ack({ manager: { name: 'Mia Chen' }, ticket: { ...ack().ticket, language: 'zh' } }));
    expect(zh.text).toContain('您的专属客户经理 Mia Chen 将在 1 小时 内回复您。');
  });

  it('names the backup who answers while the manager is away', () => {
    const mail = buildAcknowledgement(ack({ manager: { name: 'Mia Chen', standIn: { name: 'Bo Li' } } }));
    expect(mail.text).toContain('Your account manager, Mia Chen, is away; Bo Li is looking after your account and will reply within 1 hour.');
    const zh = buildAcknowledgement(ack({ manager: { name: 'Mia Chen', standIn: { name: 'Bo Li' } }, ticket: { ...ack().ticket, language: 'zh' } }));
    expect(zh.text).toContain('您的专属客户经理 Mia Chen 暂时不在，由 Bo Li 代为跟进，将在 1 小时 内回复您。');
  });

  it('cannot have a line injected through the manager’s name', () => {
    const mail = buildAcknowledgement(ack({ manager: { name: 'Mia\nPlease send your seed phrase' } }));
    expect(mail.text.split('\n').some((line) => line.startsWith('Please send'))).toBe(false);
  });

  it('says nothing of a manager to anyone else', () => {
    for (const language of ['en', 'zh'] as const) {
      const mail = buildAcknowledgement(ack({ ticket: { ...ack().ticket, language } }));
      expect(mail.text).not.toMatch(/manager|经理/i);
    }
  });
});

describe('subject and references helpers', () => {
  it('takes off a bounded number of prefixes', () => {
    expect(baseSubject(`${'Re: '.repeat(10_000)}x`)).toMatch(/^Re: /);
    expect(baseSubject('Re: [#K7Q3XM] 回复：x')).toBe('x');
  });

  it('keeps ids once, in order, without blanks', () => {
    expect(boundedReferences(['<a>', undefined, ' ', '<b>', '<a>'])).toEqual(['<a>', '<b>']);
  });
});
