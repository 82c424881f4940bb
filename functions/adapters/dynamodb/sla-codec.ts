/**
 * A ticket's SLA state (tickets/model.ts TicketSlaState) as stored: one short string, `sla`, beside a number,
 * `slaVersion`, which the writes' conditions compare. Written as a map the state takes about 400 bytes of
 * attribute names and ISO times, enough to push an ordinary ticket past 1 KB and double the write units of
 * every write of it; as a compact array with times in base-36 epoch milliseconds it takes about 100.
 */
import type { SlaMark, SlaMarks } from '../../sla/schedule';
import { SLA_PRIORITIES, SLA_TARGETS } from '../../sla/policy';
import type { SlaRun, SlaTrack } from '../../sla/track';
import type { TicketSlaState, TicketStatus, Tier } from '../../tickets/model';

/** The ticket's attributes that hold its SLA: the compact state and its version. */
export const SLA_STATE_ATTRIBUTES = ['sla', 'slaVersion'] as const;

const FORMAT = 1;
const TIERS: readonly Tier[] = ['standard', 'vip'];
const STATUSES: readonly TicketStatus[] = ['open', 'waiting-on-customer', 'closed'];

type Encoded = string | number | Encoded[];

const time = (iso: string): string => Date.parse(iso).toString(36);
const timeOrZero = (iso: string | undefined): string | 0 => (iso ? time(iso) : 0);
const isoOf = (value: Encoded): string => new Date(parseInt(String(value), 36)).toISOString();
const optionalIso = (value: Encoded): string | undefined => (value === 0 ? undefined : isoOf(value));

function encodeRun(run: SlaRun | undefined): Encoded {
  if (!run) return 0;
  const stop = run.stopped ? [time(run.stopped.at), timeOrZero(run.stopped.dueAt), run.stopped.breached ? 1 : 0] : 0;
  return [time(run.cycle), run.usedSeconds, timeOrZero(run.stretchFrom), stop];
}

function decodeRun(value: Encoded): SlaRun | undefined {
  if (!Array.isArray(value)) return undefined;
  const [cycle, used, from, stop] = value;
  const stretchFrom = optionalIso(from!);
  const stopped = Array.isArray(stop) ? { at: isoOf(stop[0]!), ...(stop[1] !== 0 ? { dueAt: isoOf(stop[1]!) } : {}), breached: stop[2] === 1 } : undefined;
  return { cycle: isoOf(cycle!), usedSeconds: Number(used), ...(stretchFrom ? { stretchFrom } : {}), ...(stopped ? { stopped } : {}) };
}

function encodeMarks(marks: SlaMarks): Encoded[] {
  return SLA_TARGETS.flatMap((target, index) => {
    const mark = marks[target];
    return mark ? [[index, time(mark.cycle), timeOrZero(mark.warnedAt), timeOrZero(mark.breachedAt)]] : [];
  });
}

function decodeMarks(value: Encoded): SlaMarks {
  const marks: SlaMarks = {};
  for (const entry of Array.isArray(value) ? value : []) {
    if (!Array.isArray(entry)) continue;
    const [index, cycle, warned, breached] = entry;
    const target = SLA_TARGETS[Number(index)];
    if (!target) continue;
    const warnedAt = optionalIso(warned!);
    const breachedAt = optionalIso(breached!);
    const mark: SlaMark = { cycle: isoOf(cycle!), ...(warnedAt ? { warnedAt } : {}), ...(breachedAt ? { breachedAt } : {}) };
    marks[target] = mark;
  }
  return marks;
}

/** The `sla` attribute of `state` (its version is stored apart, as `slaVersion`). */
export function encodeSlaState(state: TicketSlaState): string {
  const { track } = state;
  const encoded: Encoded[] = [
    FORMAT,
    TIERS.indexOf(track.tier),
    SLA_PRIORITIES.indexOf(track.priority),
    STATUSES.indexOf(track.status),
    track.answered ? 1 : 0,
    time(track.lastAt),
    encodeRun(track.firstResponse),
    encodeRun(track.nextResponse),
    encodeRun(track.resolution),
    encodeMarks(state.marks),
    timeOrZero(state.checkAt),
    (track.missed ?? []).map((target) => SLA_TARGETS.indexOf(target)),
    timeOrZero(track.lastCustomerAt),
  ];
  return JSON.stringify(encoded);
}

export function decodeSlaState(text: string, version: number): TicketSlaState {
  const value = JSON.parse(text) as Encoded[];
  if (value[0] !== FORMAT) throw new Error(`unknown SLA state format ${String(value[0])}`);
  const [, tier, priority, status, answered, lastAt, first, next, resolution, marks, checkAt, missed, lastCustomer] = value;
  const lastCustomerAt = lastCustomer === undefined ? undefined : optionalIso(lastCustomer);
  const missedTargets = Array.isArray(missed) ? missed.map((index) => SLA_TARGETS[Number(index)]!).filter(Boolean) : [];
  const firstResponse = decodeRun(first!);
  const nextResponse = decodeRun(next!);
  const resolutionRun = decodeRun(resolution!);
  const track: SlaTrack = {
    tier: TIERS[Number(tier)]!,
    priority: SLA_PRIORITIES[Number(priority)]!,
    status: STATUSES[Number(status)]!,
    answered: answered === 1,
    lastAt: isoOf(lastAt!),
    ...(firstResponse ? { firstResponse } : {}),
    ...(nextResponse ? { nextResponse } : {}),
    ...(resolutionRun ? { resolution: resolutionRun } : {}),
    ...(missedTargets.length > 0 ? { missed: missedTargets } : {}),
    ...(lastCustomerAt ? { lastCustomerAt } : {}),
  };
  const check = optionalIso(checkAt!);
  return { track, marks: decodeMarks(marks!), version, ...(check ? { checkAt: check } : {}) };
}
