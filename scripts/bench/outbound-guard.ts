/**
 * The outbound guard measured on the labelled staff replies (tests/fixtures/staff-replies/labelled.json):
 * how many dangerous replies it blocks, how many ordinary ones, and how long one check takes. The set's
 * deposit addresses are the configured list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDepositAddresses } from '../../functions/secrets/crypto-addresses';
import { checkStaffReply, MAX_CHECKED_CHARS } from '../../functions/secrets/outbound-guard';
import { PROJECT_ROOT } from '../../tests/helpers/corpus';

export const LABELLED_STAFF_REPLIES = join(PROJECT_ROOT, 'tests', 'fixtures', 'staff-replies', 'labelled.json');

interface LabelledReply {
  text: string;
  language: 'en' | 'zh';
  dangerous: boolean;
  why: string;
}

export interface GuardMeasurement {
  dangerous: { total: number; blocked: number };
  ordinary: { total: number; blocked: number };
  byLanguage: Record<'en' | 'zh', { dangerous: number; dangerousBlocked: number; ordinary: number; ordinaryBlocked: number }>;
  missed: LabelledReply[];
  wronglyBlocked: Array<LabelledReply & { detail: string }>;
  /** Median over the passes of (pass time / replies), microseconds. */
  microsecondsPerReply: number;
  /** One reply of MAX_CHECKED_CHARS characters: prose with many cues and triggers and no sentence end. */
  microsecondsLongestReply: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export function measureOutboundGuard(passes = 30): GuardMeasurement {
  const set = JSON.parse(readFileSync(LABELLED_STAFF_REPLIES, 'utf8')) as { depositAddresses: string[]; replies: LabelledReply[] };
  const options = { depositAddresses: parseDepositAddresses(set.depositAddresses.join('\n'), LABELLED_STAFF_REPLIES) };
  const result: GuardMeasurement = {
    dangerous: { total: 0, blocked: 0 },
    ordinary: { total: 0, blocked: 0 },
    byLanguage: { en: { dangerous: 0, dangerousBlocked: 0, ordinary: 0, ordinaryBlocked: 0 }, zh: { dangerous: 0, dangerousBlocked: 0, ordinary: 0, ordinaryBlocked: 0 } },
    missed: [],
    wronglyBlocked: [],
    microsecondsPerReply: 0,
    microsecondsLongestReply: 0,
  };
  for (const reply of set.replies) {
    const verdict = checkStaffReply(reply.text, options);
    const language = result.byLanguage[reply.language];
    if (reply.dangerous) {
      result.dangerous.total += 1;
      language.dangerous += 1;
      if (!verdict.allowed) {
        result.dangerous.blocked += 1;
        language.dangerousBlocked += 1;
      } else result.missed.push(reply);
    } else {
      result.ordinary.total += 1;
      language.ordinary += 1;
      if (!verdict.allowed) {
        result.ordinary.blocked += 1;
        language.ordinaryBlocked += 1;
        result.wronglyBlocked.push({ ...reply, detail: verdict.detail });
      }
    }
  }
  const perPass: number[] = [];
  for (let pass = 0; pass < passes; pass += 1) {
    const started = performance.now();
    for (const reply of set.replies) checkStaffReply(reply.text, options);
    perPass.push(((performance.now() - started) * 1000) / set.replies.length);
  }
  result.microsecondsPerReply = median(perPass);
  const unit = 'please do not send never tell the password your seed phrase anydesk 0.1 btc to verify, ';
  const longest = unit.repeat(Math.ceil(MAX_CHECKED_CHARS / unit.length)).slice(0, MAX_CHECKED_CHARS);
  const long: number[] = [];
  for (let pass = 0; pass < 5; pass += 1) {
    const started = performance.now();
    checkStaffReply(longest, options);
    long.push((performance.now() - started) * 1000);
  }
  result.microsecondsLongestReply = median(long);
  return result;
}
