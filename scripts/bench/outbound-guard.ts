/**
 * The outbound guard measured on the labelled staff replies (tests/fixtures/staff-replies/labelled.json and
 * the held-out rounds beside it): how many dangerous replies it blocks, how many ordinary ones, overall and per
 * held-out round next to what it did on first contact with that round, and how long one check takes. The
 * set's deposit addresses are the configured list.
 */
import { parseDepositAddresses } from '../../functions/secrets/crypto-addresses';
import { checkStaffReply, MAX_CHECKED_CHARS } from '../../functions/secrets/outbound-guard';
import { LABELLED_STAFF_REPLY_FILES, loadLabelledStaffReplies, type FirstContact, type LabelledReply } from '../../tests/helpers/staff-replies';

interface Counts {
  dangerous: number;
  dangerousBlocked: number;
  ordinary: number;
  ordinaryBlocked: number;
}

/** One held-out round (or, with `round` undefined, the replies written with the rules in view). */
export interface RoundMeasurement {
  round?: number;
  /** Recorded when the round was first run, before any rule changed for it. */
  firstContact?: FirstContact;
  /** Today's rules on the same replies. */
  now: Counts;
}

export interface GuardMeasurement {
  dangerous: { total: number; blocked: number };
  ordinary: { total: number; blocked: number };
  byLanguage: Record<'en' | 'zh', Counts>;
  /** Written with the rules first, then held-out rounds in order. */
  rounds: RoundMeasurement[];
  missed: LabelledReply[];
  wronglyBlocked: Array<LabelledReply & { detail: string }>;
  /** Median over the passes of (pass time / replies), microseconds. */
  microsecondsPerReply: number;
  /** One reply of MAX_CHECKED_CHARS characters: prose with many cues and triggers and no sentence end. */
  microsecondsLongestReply: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export function measureOutboundGuard(passes = 30): GuardMeasurement {
  const set = loadLabelledStaffReplies();
  const options = { depositAddresses: parseDepositAddresses(set.depositAddresses.join('\n'), LABELLED_STAFF_REPLY_FILES[0]!) };
  const counts = (): Counts => ({ dangerous: 0, dangerousBlocked: 0, ordinary: 0, ordinaryBlocked: 0 });
  const heldOutRounds = [...new Set(set.replies.flatMap((reply) => (reply.heldOut === undefined ? [] : [reply.heldOut])))].sort((a, b) => a - b);
  const roundNumbers = [undefined, ...heldOutRounds];
  const rounds = new Map<number | undefined, RoundMeasurement>(roundNumbers.map((round) => [round, { round, firstContact: round === undefined ? undefined : set.firstContact.get(round), now: counts() }]));
  const result: GuardMeasurement = {
    dangerous: { total: 0, blocked: 0 },
    ordinary: { total: 0, blocked: 0 },
    byLanguage: { en: counts(), zh: counts() },
    rounds: [...rounds.values()],
    missed: [],
    wronglyBlocked: [],
    microsecondsPerReply: 0,
    microsecondsLongestReply: 0,
  };
  for (const reply of set.replies) {
    const verdict = checkStaffReply(reply.text, options);
    const groups = [result.byLanguage[reply.language], rounds.get(reply.heldOut)!.now];
    if (reply.dangerous) {
      result.dangerous.total += 1;
      for (const group of groups) group.dangerous += 1;
      if (!verdict.allowed) {
        result.dangerous.blocked += 1;
        for (const group of groups) group.dangerousBlocked += 1;
      } else result.missed.push(reply);
    } else {
      result.ordinary.total += 1;
      for (const group of groups) group.ordinary += 1;
      if (!verdict.allowed) {
        result.ordinary.blocked += 1;
        for (const group of groups) group.ordinaryBlocked += 1;
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
  const unit = 'please do not send never tell the password your seed phrase anydesk 0.1 btc to verify, install and read the 6 digits back, send the device id, resync your wallet at x.io, ';
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
