/**
 * What the SLA scan owes a ticket (no I/O): a warning to the assignee once a running target passes `warnAt`,
 * an escalation once it passes its due time, each once per target and run of its clock; and when it must look
 * at the ticket next. The ticket's marks record what was done, so a scan that repeats, overlaps another or
 * crashed halfway does nothing twice.
 */
import { slaClocksOf, type SlaClock, type SlaClocks, type SlaTrack } from './track';
import { SLA_TARGETS, type SlaPolicy, type SlaTarget } from './policy';

/** What was done about one target's current run: `cycle` names the run (sla/track.ts SlaRun.cycle). */
export interface SlaMark {
  cycle: string;
  warnedAt?: string;
  breachedAt?: string;
}

export type SlaMarks = Partial<Record<SlaTarget, SlaMark>>;

export type SlaActionKind = 'warning' | 'breach';

export interface SlaAction {
  target: SlaTarget;
  kind: SlaActionKind;
  cycle: string;
  /** When the target falls due (a warning) or fell due (a breach). */
  dueAt: string;
  /**
   * A breach found after its clock stopped (answered or closed late, between two scans), or while it is
   * paused waiting on the customer, is recorded and counted, but nobody is sent an escalation for it.
   */
  stopped: boolean;
}

/** A target's mark for its current run, if any. */
function markOf(marks: SlaMarks, target: SlaTarget, cycle: string): SlaMark | undefined {
  const mark = marks[target];
  return mark && mark.cycle === cycle ? mark : undefined;
}

/**
 * When a breached target fell due: its due time, or, for a clock paused or stopped past its target with no
 * due time to show (a priority raised while the ticket waited), when it stopped or was last changed.
 */
function breachedAtOf(track: SlaTrack, target: SlaTarget, clock: SlaClock): string {
  return clock.dueAt ?? track[target]?.stopped?.at ?? track.lastAt;
}

/** What is owed at `now`, in the order it is owed. */
export function slaActionsDue(track: SlaTrack, marks: SlaMarks, now: Date, policy: SlaPolicy): SlaAction[] {
  const clocks = slaClocksOf(track, now, policy);
  const actions: SlaAction[] = [];
  for (const target of SLA_TARGETS) {
    const run = track[target];
    const clock = clocks[target];
    if (!run || !clock) continue;
    const mark = markOf(marks, target, run.cycle);
    if (clock.state === 'breached' && !mark?.breachedAt) {
      actions.push({ target, kind: 'breach', cycle: run.cycle, dueAt: breachedAtOf(track, target, clock), stopped: Boolean(run.stopped) || !run.stretchFrom });
    } else if (clock.state === 'running' && !mark?.warnedAt && !mark?.breachedAt && clock.warnAt && Date.parse(clock.warnAt) <= now.getTime()) {
      actions.push({ target, kind: 'warning', cycle: run.cycle, dueAt: clock.dueAt!, stopped: false });
    }
  }
  return actions;
}

/**
 * When the scan must look at the ticket next: the earliest warning or due time not yet acted on, or a breach
 * not yet recorded. Undefined when nothing is left to watch (closed, paused, or every target settled).
 */
export function nextSlaCheck(track: SlaTrack, marks: SlaMarks, now: Date, policy: SlaPolicy): string | undefined {
  const clocks: SlaClocks = slaClocksOf(track, now, policy);
  let earliest: string | undefined;
  const consider = (at: string | undefined) => {
    if (at && (!earliest || at < earliest)) earliest = at;
  };
  for (const target of SLA_TARGETS) {
    const run = track[target];
    const clock: SlaClock | undefined = clocks[target];
    if (!run || !clock) continue;
    const mark = markOf(marks, target, run.cycle);
    if (mark?.breachedAt) continue;
    // The same instant the breach action names, always in the past: the scan that finds it acts on it.
    if (clock.state === 'breached') consider(breachedAtOf(track, target, clock));
    else if (clock.state === 'running') consider(mark?.warnedAt ? clock.dueAt : clock.warnAt);
  }
  return earliest;
}

/** `marks` with `actions` recorded as done at `at`. */
export function markSlaActions(marks: SlaMarks, actions: readonly SlaAction[], at: string): SlaMarks {
  const next: SlaMarks = structuredClone(marks);
  for (const action of actions) {
    const mark = next[action.target]?.cycle === action.cycle ? next[action.target]! : { cycle: action.cycle };
    if (action.kind === 'warning') mark.warnedAt ??= at;
    else mark.breachedAt ??= at;
    next[action.target] = mark;
  }
  return next;
}

/** A ticket's SLA as the API shows it: each target's due time and state, with what the scan did about it. */
export interface SlaView {
  dueAt?: string;
  state: SlaClock['state'];
  remainingSeconds?: number;
  warnedAt?: string;
  breachedAt?: string;
}

export function slaView(track: SlaTrack, marks: SlaMarks, now: Date, policy: SlaPolicy): Partial<Record<SlaTarget, SlaView>> {
  const clocks = slaClocksOf(track, now, policy);
  const view: Partial<Record<SlaTarget, SlaView>> = {};
  for (const target of SLA_TARGETS) {
    const clock = clocks[target];
    const run = track[target];
    if (!clock || !run) continue;
    const mark = markOf(marks, target, run.cycle);
    view[target] = {
      state: clock.state,
      ...(clock.dueAt ? { dueAt: clock.dueAt } : {}),
      ...(clock.remainingSeconds !== undefined ? { remainingSeconds: clock.remainingSeconds } : {}),
      ...(mark?.warnedAt ? { warnedAt: mark.warnedAt } : {}),
      ...(clock.breachedAt ? { breachedAt: clock.breachedAt } : {}),
    };
  }
  return view;
}
