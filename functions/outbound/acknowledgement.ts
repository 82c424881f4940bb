import type { Language } from '../mail/types';
import type { Ticket } from '../tickets/model';
import type { KnownSuppression } from './suppression-guard';
import { antiPhishingLine, sanitiseDisplayName } from './template-parts';

/** An outbound message before it is turned into MIME: plain data, so templates are testable without I/O. */
export interface OutboundMail {
  from: { name: string; address: string };
  to: string;
  replyTo: string;
  subject: string;
  text: string;
  /** Concierge's own Message-ID; SES replaces it on the wire, so it is also carried in References. */
  messageId: string;
  inReplyTo?: string;
  references: string[];
  headers: Record<string, string>;
  /**
   * The recipient's place on the suppression list as a read made anyway already found it (a new ticket's batch
   * read), so the send reads nothing more; absent, the send looks it up (outbound/suppression-guard.ts).
   */
  knownSuppression?: KnownSuppression;
}

export interface AcknowledgementInput {
  ticket: Pick<Ticket, 'id' | 'ref' | 'subject' | 'language' | 'priority' | 'firstResponseDueAt' | 'createdAt'>;
  customer: string;
  /** The customer's Message-ID and References, so the acknowledgement threads under their message. */
  customerMessageId?: string;
  customerReferences: string[];
  support: { name: string; address: string };
  replyAddress: string;
  messageId: string;
  /** The customer's anti-phishing code; only for a customer who has one and whose address is proven. */
  antiPhishingCode?: string;
  /**
   * An authenticated VIP's dedicated manager, whom the acknowledgement names; `standIn` is the manager's backup
   * when the manager is away and the backup answers (routing's basis `backup`).
   */
  manager?: { name: string; standIn?: { name: string } };
}

/** Promises up to two days are said in hours ("24 hours"), longer ones in days. */
const HOURS_UP_TO_MINUTES = 48 * 60;
/** Below this, an odd number of minutes is said as it is ("90 minutes"); above, in whole hours. */
const MINUTES_UP_TO = 180;

/**
 * Renders a duration in whole minutes the way a person would say it. A promise that is not a round number (a
 * business-hours calendar's due time over a weekend: 1,764 minutes) is rounded up, never down: "30 hours".
 */
export function describeDuration(minutes: number, language: Language): string {
  const inMinutes = minutes < MINUTES_UP_TO && minutes % 60 !== 0;
  const inDays = !inMinutes && minutes > HOURS_UP_TO_MINUTES;
  const value = inMinutes ? minutes : inDays ? Math.ceil(minutes / 1440) : Math.ceil(minutes / 60);
  if (language === 'zh') return `${value} ${inMinutes ? '分钟' : inDays ? '天' : '小时'}`;
  const word = inMinutes ? 'minute' : inDays ? 'day' : 'hour';
  return `${value} ${word}${value === 1 ? '' : 's'}`;
}

const MAX_SUBJECT_ECHO = 120;

function echoSubject(subject: string): string {
  const clean = subject.replace(/[\r\n]+/g, ' ').trim();
  return clean.length > MAX_SUBJECT_ECHO ? `${clean.slice(0, MAX_SUBJECT_ECHO - 1)}…` : clean;
}

/** The acknowledgement a person gets for a new ticket, in their language. */
export function buildAcknowledgement(input: AcknowledgementInput): OutboundMail {
  const { ticket } = input;
  const promisedMinutes = Math.round((Date.parse(ticket.firstResponseDueAt) - Date.parse(ticket.createdAt)) / 60_000);
  const within = describeDuration(promisedMinutes, ticket.language);
  const original = echoSubject(ticket.subject);
  const token = `[#${ticket.ref}]`;
  const code = antiPhishingLine(input.antiPhishingCode, ticket.language);
  const managerName = input.manager ? sanitiseDisplayName(input.manager.name) : '';
  const standInName = input.manager?.standIn ? sanitiseDisplayName(input.manager.standIn.name) : '';
  const subject =
    ticket.language === 'zh'
      ? `${token} 我们已收到您的邮件${original ? `：${original}` : ''}`
      : `${token} We received your message${original ? `: ${original}` : ''}`;
  const text =
    ticket.language === 'zh'
      ? [
          ...(code ? [code, ''] : []),
          '您好，',
          '',
          managerName && standInName
            ? `我们已收到您的邮件，工单编号为 ${ticket.ref}。您的专属客户经理 ${managerName} 暂时不在，由 ${standInName} 代为跟进，将在 ${within} 内回复您。`
            : managerName
            ? `我们已收到您的邮件，工单编号为 ${ticket.ref}。您的专属客户经理 ${managerName} 将在 ${within} 内回复您。`
            : `我们已收到您的邮件，工单编号为 ${ticket.ref}。客服人员将在 ${within} 内回复您。`,
          ticket.priority === 'urgent' ? '您的问题涉及账户安全，已被列为紧急处理。' : undefined,
          '如需补充信息（订单号、交易时间、截图），请直接回复本邮件，并保留主题中的工单编号。',
          '',
          '安全提示：我们的工作人员绝不会向您索取密码、助记词或二次验证（2FA）码。',
          '',
          input.support.name,
        ]
      : [
          ...(code ? [code, ''] : []),
          'Hello,',
          '',
          managerName && standInName
            ? `We have received your message and opened ticket ${ticket.ref}. Your account manager, ${managerName}, is away; ${standInName} is looking after your account and will reply within ${within}.`
            : managerName
            ? `We have received your message and opened ticket ${ticket.ref}. Your account manager, ${managerName}, will reply within ${within}.`
            : `We have received your message and opened ticket ${ticket.ref}. A member of our team will reply within ${within}.`,
          ticket.priority === 'urgent' ? 'Your message concerns account security and has been marked urgent.' : undefined,
          'To add details (order numbers, transaction times, screenshots), reply to this email and keep the ticket reference in the subject.',
          '',
          'Security notice: our staff will never ask for your password, seed phrase or 2FA codes.',
          '',
          input.support.name,
        ];
  const references = [...input.customerReferences, ...(input.customerMessageId ? [input.customerMessageId] : []), input.messageId];
  return {
    from: input.support,
    to: input.customer,
    replyTo: input.replyAddress,
    subject,
    text: text.filter((line) => line !== undefined).join('\n'),
    messageId: input.messageId,
    ...(input.customerMessageId ? { inReplyTo: input.customerMessageId } : {}),
    references: [...new Set(references)],
    headers: {
      'Auto-Submitted': 'auto-replied',
      // Asks Exchange/Outlook not to answer with out-of-office replies: the other half of loop prevention.
      'X-Auto-Response-Suppress': 'All',
      'X-Concierge-Ticket': ticket.ref,
    },
  };
}
