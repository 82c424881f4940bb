/**
 * The warning a customer gets, at once, when their message held a secret: support never asks for it, treat it
 * as compromised, and what to do now. It names the kinds removed, never the secret, and repeats nothing else of
 * their message, so a forged From can make it say nothing of the forger's choosing.
 */
import type { Language } from '../mail/types';
import type { SecretKind } from '../secrets/detect';
import type { Ticket } from '../tickets/model';
import type { OutboundMail } from './acknowledgement';
import { antiPhishingLine, boundedReferences } from './template-parts';

export interface SecretWarningInput {
  ticket: Pick<Ticket, 'ref' | 'language'>;
  customer: string;
  kinds: readonly SecretKind[];
  /** The message that held the secret, so the warning threads under it. */
  customerMessage?: { messageId: string; references: readonly string[] };
  support: { name: string; address: string };
  replyAddress: string;
  messageId: string;
  /** Only for a customer who has one and whose address is proven. */
  antiPhishingCode?: string;
}

const KIND_NAMES: Record<Language, Record<SecretKind, string>> = {
  en: { 'recovery-phrase': 'a recovery (seed) phrase', 'private-key': 'a private key', password: 'a password', 'one-time-code': 'a one-time (2FA or SMS) code' },
  zh: { 'recovery-phrase': '助记词', 'private-key': '私钥', password: '密码', 'one-time-code': '一次性验证码（2FA 或短信验证码）' },
};

/** What to do now, for each kind that was exposed, in the order the customer should do it. */
const STEPS: Record<Language, Record<SecretKind, string>> = {
  en: {
    'recovery-phrase': 'Move all funds from the wallet of this recovery phrase to a new wallet with a new phrase, now. Anyone who has seen the phrase can empty the wallet.',
    'private-key': 'Move all funds held by this private key to a new wallet, now. Anyone who has seen the key can spend them.',
    password: 'Change your password at once, and everywhere else you use the same one.',
    'one-time-code': 'Reset two-factor authentication (2FA) in your account security settings, and check your recent logins and withdrawals.',
  },
  zh: {
    'recovery-phrase': '请立即将该助记词对应钱包中的全部资产转入一个使用新助记词的新钱包。任何看到该助记词的人都能转走您的资产。',
    'private-key': '请立即将该私钥控制的全部资产转入新钱包。任何看到该私钥的人都能动用这些资产。',
    password: '请立即修改密码，并修改所有使用相同密码的其他账户。',
    'one-time-code': '请在账户安全设置中重置二次验证（2FA），并检查近期的登录和提现记录。',
  },
};

export function buildSecretWarning(input: SecretWarningInput): OutboundMail {
  const language = input.ticket.language;
  const names = input.kinds.map((kind) => KIND_NAMES[language][kind]);
  const steps = input.kinds.map((kind, index) => `${index + 1}. ${STEPS[language][kind]}`);
  const code = antiPhishingLine(input.antiPhishingCode, language);
  const token = `[#${input.ticket.ref}]`;
  const body =
    language === 'zh'
      ? {
          subject: `${token} 安全警告：请勿通过邮件发送${names.join('、')}`,
          lines: [
            '您好，',
            '',
            `您发给我们的邮件中包含${names.join('、')}。我们已将其从工单中删除，客服人员不会看到。`,
            '我们的工作人员绝不会索取您的密码、助记词、私钥或验证码。任何索要这些信息的人都是骗子。',
            `请将该${names.join('、')}视为已泄露，并立即采取以下措施：`,
            '',
            ...steps,
            '',
            `您的工单 ${input.ticket.ref} 已被列为紧急处理，我们会尽快回复您。回复本邮件时，请不要再附上上述信息。`,
          ],
        }
      : {
          subject: `${token} Security warning: never send ${names.join(', ')} by email`,
          lines: [
            'Hello,',
            '',
            `Your message to us contained ${names.join(', ')}. We removed it from your ticket; our staff will not see it.`,
            'Our staff will never ask for your password, recovery phrase, private key or any code. Anyone who asks for them is a scammer.',
            'Treat what you sent as compromised, and do this now:',
            '',
            ...steps,
            '',
            `Your ticket ${input.ticket.ref} is marked urgent and we will reply as soon as we can. Please do not send this information again when you reply.`,
          ],
        };
  const text = [...(code ? [code, ''] : []), ...body.lines, '', input.support.name];
  const latest = input.customerMessage;
  return {
    from: input.support,
    to: input.customer,
    replyTo: input.replyAddress,
    subject: body.subject,
    text: text.join('\n'),
    messageId: input.messageId,
    ...(latest ? { inReplyTo: latest.messageId } : {}),
    references: boundedReferences([...(latest?.references ?? []), latest?.messageId, input.messageId]),
    headers: {
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'X-Concierge-Ticket': input.ticket.ref,
    },
  };
}
