/**
 * Business-hours arithmetic: how much open time lies between two instants, and when a given amount of open
 * time has elapsed. Pure: the only outside knowledge is the time-zone database behind `Intl.DateTimeFormat`.
 *
 * Work goes day by day in the calendar's zone: each local date yields at most one window of UTC instants
 * [open, close), and each call visits only the dates it spans.
 *
 * Local wall time → instant: a local time maps to the first instant at which the zone's clock reads that
 * time or later. So in a repeated hour (fall-back) the first occurrence is taken, and a time skipped by a
 * spring-forward becomes the instant of the change (the clock jumps past it there). The mapping never goes
 * backwards as wall time advances, so windows keep their order, never overlap, and always count the real
 * elapsed seconds: New York hours 01:00–03:00 on 2026-03-08 are one hour long, on 2026-11-01 three hours.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Local wall-clock opening and closing ("HH:MM", close after open, "24:00" allowed as a close); a day without an entry is closed. */
export type WeeklyHours = Partial<Record<Weekday, [string, string]>>;

export type BusinessHoursCalendar = {
  /** An IANA time zone, e.g. "Asia/Shanghai". */
  timeZone: string;
  hours: WeeklyHours;
  /** Local dates "YYYY-MM-DD" on which the desk is closed all day. */
  holidays: string[];
};

export type Calendar = '24x7' | BusinessHoursCalendar;

/** A calendar that cannot be read: unknown time zone, malformed hours or holidays. */
export class InvalidCalendarError extends Error {
  override readonly name = 'InvalidCalendarError';
}

/** The calendar has no open time for so long that a due time would never come (no hours, or only holidays). */
export class NoOpenTimeError extends Error {
  override readonly name = 'NoOpenTimeError';
}

/** How many consecutive closed days end a search for open time. */
export const MAX_CLOSED_DAYS = 400;

const MS_PER_DAY = 86_400_000;
const WEEKDAYS_FROM_SUNDAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The instant at which `seconds` of open time have elapsed after `start`; starting while closed, counting begins at the next opening. */
export function addOpenTime(start: Date, seconds: number, calendar: Calendar): Date {
  const startMs = instantMs(start, 'start');
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`seconds must be a finite number ≥ 0, got ${seconds}`);
  if (calendar === '24x7') return new Date(startMs + seconds * 1000);

  const zone = compileCalendar(calendar);
  let remainingMs = seconds * 1000;
  let closedDays = 0;
  // One day back: in a zone that falls back across midnight, the previous date's window could still lie ahead.
  for (let day = localDayNumber(startMs, zone.format) - 1; ; day += 1) {
    const window = openWindow(day, zone);
    const countFrom = Math.max(window?.openMs ?? startMs, startMs);
    const availableMs = window ? window.closeMs - countFrom : 0;
    if (availableMs > 0) {
      if (remainingMs <= availableMs) return new Date(countFrom + remainingMs);
      remainingMs -= availableMs;
      closedDays = 0;
    } else if (++closedDays > MAX_CLOSED_DAYS) {
      throw new NoOpenTimeError(`no open time within ${MAX_CLOSED_DAYS} days after ${start.toISOString()} in ${calendar.timeZone}`);
    }
  }
}

/** Seconds of open time between two instants (the open time a paused clock would not count); 0 when `to <= from`. */
export function openSecondsBetween(from: Date, to: Date, calendar: Calendar): number {
  const fromMs = instantMs(from, 'from');
  const toMs = instantMs(to, 'to');
  if (toMs <= fromMs) return 0;
  if (calendar === '24x7') return (toMs - fromMs) / 1000;

  const zone = compileCalendar(calendar);
  const lastDay = localDayNumber(toMs, zone.format) + 1;
  let openMs = 0;
  for (let day = localDayNumber(fromMs, zone.format) - 1; day <= lastDay; day += 1) {
    const window = openWindow(day, zone);
    if (!window) continue;
    const overlap = Math.min(window.closeMs, toMs) - Math.max(window.openMs, fromMs);
    if (overlap > 0) openMs += overlap;
  }
  return openMs / 1000;
}

/** Whether the desk is open at `at`: open from the opening instant, closed from the closing instant. */
export function isOpen(at: Date, calendar: Calendar): boolean {
  const atMs = instantMs(at, 'at');
  if (calendar === '24x7') return true;

  const zone = compileCalendar(calendar);
  const today = localDayNumber(atMs, zone.format);
  for (const day of [today - 1, today]) {
    const window = openWindow(day, zone);
    if (window && window.openMs <= atMs && atMs < window.closeMs) return true;
  }
  return false;
}

type CompiledCalendar = {
  format: Intl.DateTimeFormat;
  /** Minutes after local midnight, by weekday (0 = Sunday). */
  minutes: ReadonlyArray<{ open: number; close: number } | undefined>;
  holidays: ReadonlySet<string>;
};

type Window = { openMs: number; closeMs: number };

const formatsByZone = new Map<string, Intl.DateTimeFormat>();

function compileCalendar(calendar: BusinessHoursCalendar): CompiledCalendar {
  const minutes = WEEKDAYS_FROM_SUNDAY.map((weekday) => {
    const hours = calendar.hours[weekday];
    if (!hours) return undefined;
    const open = minutesOfDay(hours[0], `hours.${weekday}[0]`, false);
    const close = minutesOfDay(hours[1], `hours.${weekday}[1]`, true);
    if (close <= open) throw new InvalidCalendarError(`hours.${weekday}: close ${hours[1]} must be after open ${hours[0]}`);
    return { open, close };
  });
  for (const [index, holiday] of calendar.holidays.entries()) {
    if (!isLocalDate(holiday)) throw new InvalidCalendarError(`holidays[${index}]: expected YYYY-MM-DD, got ${JSON.stringify(holiday)}`);
  }
  return { format: formatFor(calendar.timeZone), minutes, holidays: new Set(calendar.holidays) };
}

function formatFor(timeZone: string): Intl.DateTimeFormat {
  const known = formatsByZone.get(timeZone);
  if (known) return known;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new InvalidCalendarError(`timeZone: unknown time zone ${JSON.stringify(timeZone)}`);
  }
  formatsByZone.set(timeZone, format);
  return format;
}

function minutesOfDay(text: string, path: string, isClose: boolean): number {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  const valid = match !== null && minute < 60 && (hour < 24 || (isClose && hour === 24 && minute === 0));
  if (!valid) throw new InvalidCalendarError(`${path}: expected HH:MM, got ${JSON.stringify(text)}`);
  return hour * 60 + minute;
}

function isLocalDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

function instantMs(date: Date, name: string): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

/** The open window of one local date (days since 1970-01-01), or undefined when the desk is closed that day. */
function openWindow(day: number, zone: CompiledCalendar): Window | undefined {
  const midnightWall = day * MS_PER_DAY;
  const date = new Date(midnightWall);
  const hours = zone.minutes[date.getUTCDay()];
  if (!hours || zone.holidays.has(date.toISOString().slice(0, 10))) return undefined;
  const openMs = wallToInstant(midnightWall + hours.open * 60_000, zone.format);
  const closeMs = wallToInstant(midnightWall + hours.close * 60_000, zone.format);
  return closeMs > openMs ? { openMs, closeMs } : undefined;
}

/** The local date of an instant, as days since 1970-01-01. */
function localDayNumber(ms: number, format: Intl.DateTimeFormat): number {
  return Math.floor((ms + offsetAt(ms, format)) / MS_PER_DAY);
}

/**
 * The first instant at which the zone's clock reads `wall` (local time written as if it were UTC) or later.
 * Offsets a day either side bracket at most one change of offset, as in every real zone.
 */
function wallToInstant(wall: number, format: Intl.DateTimeFormat): number {
  const offsetBefore = offsetAt(wall - MS_PER_DAY, format);
  const offsetAfter = offsetAt(wall + MS_PER_DAY, format);
  if (offsetBefore === offsetAfter) return wall - offsetBefore;

  const candidates = [wall - offsetBefore, wall - offsetAfter].filter(
    (instant) => instant + offsetAt(instant, format) === wall,
  );
  if (candidates.length > 0) return Math.min(...candidates);

  // Skipped by a spring-forward: find the change itself, the first instant on the later offset.
  let stillBefore = wall - offsetAfter;
  let alreadyAfter = wall - offsetBefore;
  while (alreadyAfter - stillBefore > 1000) {
    const middle = stillBefore + Math.floor((alreadyAfter - stillBefore) / 2000) * 1000;
    if (offsetAt(middle, format) === offsetBefore) stillBefore = middle;
    else alreadyAfter = middle;
  }
  return alreadyAfter;
}

/** Local wall time minus UTC at an instant, in milliseconds (whole seconds, as the zone database has them). */
function offsetAt(ms: number, format: Intl.DateTimeFormat): number {
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(wholeSecond)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    parts.year ?? NaN,
    (parts.month ?? NaN) - 1,
    parts.day ?? NaN,
    parts.hour ?? NaN,
    parts.minute ?? NaN,
    parts.second ?? NaN,
  );
  return wall - wholeSecond;
}
