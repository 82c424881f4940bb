import { describe, expect, it } from 'vitest';
import {
  addOpenTime,
  type BusinessHoursCalendar,
  InvalidCalendarError,
  isOpen,
  MAX_CLOSED_DAYS,
  NoOpenTimeError,
  openSecondsBetween,
} from '../../functions/sla/calendar';

const HOUR = 3600;

const shanghaiOffice: BusinessHoursCalendar = {
  timeZone: 'Asia/Shanghai',
  hours: {
    mon: ['09:00', '18:00'],
    tue: ['09:00', '18:00'],
    wed: ['09:00', '18:00'],
    thu: ['09:00', '18:00'],
    fri: ['09:00', '18:00'],
  },
  holidays: ['2026-10-01'],
};

const newYorkOffice: BusinessHoursCalendar = {
  timeZone: 'America/New_York',
  hours: {
    mon: ['09:00', '17:00'],
    tue: ['09:00', '17:00'],
    wed: ['09:00', '17:00'],
    thu: ['09:00', '17:00'],
    fri: ['09:00', '17:00'],
  },
  holidays: [],
};

function everyDay(timeZone: string, open: string, close: string): BusinessHoursCalendar {
  const hours: [string, string] = [open, close];
  return {
    timeZone,
    hours: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: hours, sun: hours },
    holidays: [],
  };
}

function iso(date: Date): string {
  return date.toISOString();
}

describe('addOpenTime on a 24x7 calendar', () => {
  it('adds the seconds as they are', () => {
    // Act
    const due = addOpenTime(new Date('2026-11-21T10:00:00.000Z'), 90 * 60, '24x7');

    // Assess
    expect(iso(due)).toBe('2026-11-21T11:30:00.000Z');
  });
});

describe('addOpenTime in business hours (Asia/Shanghai, Mon–Fri 09:00–18:00)', () => {
  it.each<[string, string, number, string]>([
    ['inside hours', '2026-11-17T02:00:00.000Z', 2 * HOUR, '2026-11-17T04:00:00.000Z'],
    ['inside hours, running past closing into the next morning', '2026-11-17T09:00:00.000Z', 2 * HOUR, '2026-11-18T02:00:00.000Z'],
    ['before opening (07:00 local)', '2026-11-16T23:00:00.000Z', 30 * 60, '2026-11-17T01:30:00.000Z'],
    ['after closing (19:00 local)', '2026-11-17T11:00:00.000Z', HOUR, '2026-11-18T02:00:00.000Z'],
    ['on Friday 17:30 local, across the weekend', '2026-11-20T09:30:00.000Z', HOUR, '2026-11-23T01:30:00.000Z'],
    ['on a Saturday', '2026-11-21T04:00:00.000Z', HOUR, '2026-11-23T02:00:00.000Z'],
    ['on Wednesday 17:00 local, skipping the holiday on Thursday 2026-10-01', '2026-09-30T09:00:00.000Z', 2 * HOUR, '2026-10-02T02:00:00.000Z'],
    ['ending exactly at closing', '2026-11-17T09:00:00.000Z', HOUR, '2026-11-17T10:00:00.000Z'],
  ])('starting %s', (_name, start, seconds, expected) => {
    // Act
    const due = addOpenTime(new Date(start), seconds, shanghaiOffice);

    // Assess
    expect(iso(due)).toBe(expected);
  });

  it('keeps counting over more than a year of open time (the bound is on closed days, not on the span)', () => {
    // Prepare: 300 working days of 9 hours from Monday 2026-11-16 09:00 local end on Friday 2028-01-07 18:00 local
    const start = new Date('2026-11-16T01:00:00.000Z');

    // Act
    const due = addOpenTime(start, 300 * 9 * HOUR, shanghaiOffice);

    // Assess
    expect(iso(due)).toBe('2028-01-07T10:00:00.000Z');
    expect(openSecondsBetween(start, due, shanghaiOffice)).toBe(300 * 9 * HOUR);
  });
});

describe('addOpenTime with a zero duration', () => {
  it('is the start itself when open', () => {
    // Act
    const due = addOpenTime(new Date('2026-11-17T02:00:00.000Z'), 0, shanghaiOffice);

    // Assess
    expect(iso(due)).toBe('2026-11-17T02:00:00.000Z');
  });

  it('is the next opening when closed, as counting starts there', () => {
    // Act
    const due = addOpenTime(new Date('2026-11-21T04:00:00.000Z'), 0, shanghaiOffice);

    // Assess
    expect(iso(due)).toBe('2026-11-23T01:00:00.000Z');
  });

  it('is the start itself on a 24x7 calendar', () => {
    // Act
    const due = addOpenTime(new Date('2026-11-21T04:00:00.000Z'), 0, '24x7');

    // Assess
    expect(iso(due)).toBe('2026-11-21T04:00:00.000Z');
  });
});

describe('daylight-saving changes in America/New_York', () => {
  const smallHours = everyDay('America/New_York', '01:00', '03:00');

  it('counts one real hour for 01:00–03:00 on the spring-forward day (2026-03-08)', () => {
    // Prepare: 01:00 EST is 06:00Z and 03:00 EDT is 07:00Z; 02:00–03:00 never happens
    const opening = new Date('2026-03-08T06:00:00.000Z');

    // Act
    const dayOpenSeconds = openSecondsBetween(new Date('2026-03-08T05:00:00.000Z'), new Date('2026-03-08T12:00:00.000Z'), smallHours);
    const closing = addOpenTime(opening, HOUR, smallHours);
    const halfAnHourLater = addOpenTime(opening, 1.5 * HOUR, smallHours);

    // Assess
    expect(dayOpenSeconds).toBe(HOUR);
    expect(iso(closing)).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(halfAnHourLater)).toBe('2026-03-09T05:30:00.000Z');
  });

  it('counts three real hours for 01:00–03:00 on the fall-back day (2026-11-01)', () => {
    // Prepare: 01:00 is taken at its first occurrence (EDT, 05:00Z); 03:00 EST is 08:00Z
    const opening = new Date('2026-11-01T05:00:00.000Z');

    // Act
    const dayOpenSeconds = openSecondsBetween(new Date('2026-11-01T04:00:00.000Z'), new Date('2026-11-01T12:00:00.000Z'), smallHours);
    const due = addOpenTime(opening, 2.5 * HOUR, smallHours);

    // Assess
    expect(dayOpenSeconds).toBe(3 * HOUR);
    expect(iso(due)).toBe('2026-11-01T07:30:00.000Z');
    expect(isOpen(new Date('2026-11-01T04:59:59.999Z'), smallHours)).toBe(false);
    expect(isOpen(new Date('2026-11-01T07:59:59.999Z'), smallHours)).toBe(true);
    expect(isOpen(new Date('2026-11-01T08:00:00.000Z'), smallHours)).toBe(false);
  });

  it('opens a window whose opening time is skipped at the change of clocks (03:00 EDT for 02:30)', () => {
    // Prepare
    const opensInTheGap = everyDay('America/New_York', '02:30', '04:00');

    // Act
    const dayOpenSeconds = openSecondsBetween(new Date('2026-03-08T05:00:00.000Z'), new Date('2026-03-08T12:00:00.000Z'), opensInTheGap);
    const due = addOpenTime(new Date('2026-03-08T05:00:00.000Z'), 0, opensInTheGap);

    // Assess
    expect(dayOpenSeconds).toBe(HOUR);
    expect(iso(due)).toBe('2026-03-08T07:00:00.000Z');
  });

  it('has no open time on the spring-forward day for hours that lie wholly in the skipped hour', () => {
    // Prepare
    const skippedHours = everyDay('America/New_York', '02:00', '02:30');

    // Act
    const dayOpenSeconds = openSecondsBetween(new Date('2026-03-08T05:00:00.000Z'), new Date('2026-03-08T12:00:00.000Z'), skippedHours);
    const nextDayOpenSeconds = openSecondsBetween(new Date('2026-03-09T00:00:00.000Z'), new Date('2026-03-10T00:00:00.000Z'), skippedHours);

    // Assess
    expect(dayOpenSeconds).toBe(0);
    expect(nextDayOpenSeconds).toBe(30 * 60);
  });

  it('takes the first occurrence of an opening time that happens twice (01:30 on 2026-11-01)', () => {
    // Prepare
    const opensInTheRepeatedHour = everyDay('America/New_York', '01:30', '02:30');

    // Act
    const due = addOpenTime(new Date('2026-11-01T04:00:00.000Z'), 0, opensInTheRepeatedHour);
    const dayOpenSeconds = openSecondsBetween(new Date('2026-11-01T04:00:00.000Z'), new Date('2026-11-01T12:00:00.000Z'), opensInTheRepeatedHour);

    // Assess: 01:30 EDT is 05:30Z; 02:30 EST is 07:30Z
    expect(iso(due)).toBe('2026-11-01T05:30:00.000Z');
    expect(dayOpenSeconds).toBe(2 * HOUR);
  });

  it('moves ordinary 09:00–17:00 hours by the change in UTC across the spring-forward weekend', () => {
    // Prepare: Friday 2026-03-06 16:00 EST is 21:00Z; Monday 09:00 EDT is 13:00Z
    const start = new Date('2026-03-06T21:00:00.000Z');

    // Act
    const due = addOpenTime(start, 2 * HOUR, newYorkOffice);

    // Assess
    expect(iso(due)).toBe('2026-03-09T14:00:00.000Z');
    expect(openSecondsBetween(start, due, newYorkOffice)).toBe(2 * HOUR);
  });

  it('moves ordinary 09:00–17:00 hours by the change in UTC across the fall-back weekend', () => {
    // Prepare: Friday 2026-10-30 16:00 EDT is 20:00Z; Monday 09:00 EST is 14:00Z
    const start = new Date('2026-10-30T20:00:00.000Z');

    // Act
    const due = addOpenTime(start, 2 * HOUR, newYorkOffice);
    const weekOpenSeconds = openSecondsBetween(new Date('2026-10-30T00:00:00.000Z'), new Date('2026-11-03T00:00:00.000Z'), newYorkOffice);

    // Assess
    expect(iso(due)).toBe('2026-11-02T15:00:00.000Z');
    expect(weekOpenSeconds).toBe(16 * HOUR);
    expect(isOpen(new Date('2026-11-02T14:00:00.000Z'), newYorkOffice)).toBe(true);
    expect(isOpen(new Date('2026-11-02T13:59:59.999Z'), newYorkOffice)).toBe(false);
  });

  it('gives back the seconds it was asked for, from any start around the changes', () => {
    // Prepare
    const starts = ['2026-03-07T12:00:00.000Z', '2026-03-08T06:30:00.000Z', '2026-10-31T12:00:00.000Z', '2026-11-01T06:15:00.000Z'];
    const durations = [1, 1800, HOUR, 2 * HOUR + 1, 7 * HOUR];

    // Act
    const roundTrips = starts.flatMap((start) =>
      durations.map((seconds) => openSecondsBetween(new Date(start), addOpenTime(new Date(start), seconds, smallHours), smallHours)),
    );

    // Assess
    expect(roundTrips).toEqual(starts.flatMap(() => durations));
  });
});

describe('daylight-saving changes in Europe/London', () => {
  const allDaySunday: BusinessHoursCalendar = { timeZone: 'Europe/London', hours: { sun: ['00:00', '24:00'] }, holidays: [] };

  it.each<[string, string, number]>([
    ['spring-forward Sunday 2026-03-29 lasts 23 hours', '2026-03-29', 23 * HOUR],
    ['fall-back Sunday 2026-10-25 lasts 25 hours', '2026-10-25', 25 * HOUR],
  ])('counts real seconds: the %s', (_name, date, expected) => {
    // Prepare
    const dayStart = new Date(`${date}T00:00:00.000Z`);

    // Act
    const seconds = openSecondsBetween(new Date(dayStart.getTime() - 6 * HOUR * 1000), new Date(dayStart.getTime() + 30 * HOUR * 1000), allDaySunday);

    // Assess
    expect(seconds).toBe(expected);
  });

  it('reaches the end of the fall-back Sunday after 25 hours', () => {
    // Prepare: midnight BST is 23:00Z the day before; midnight GMT is 00:00Z
    const opening = new Date('2026-10-24T23:00:00.000Z');

    // Act
    const due = addOpenTime(opening, 25 * HOUR, allDaySunday);

    // Assess
    expect(iso(due)).toBe('2026-10-26T00:00:00.000Z');
  });
});

describe('a calendar open around the clock in zones with unusual changes', () => {
  it.each<[string, string, string, string]>([
    ['clocks that jump at midnight (America/Santiago, September)', 'America/Santiago', '2026-09-01T00:00:00.000Z', '2026-09-15T00:00:00.000Z'],
    ['clocks that fall back at midnight (America/Santiago, April)', 'America/Santiago', '2026-03-25T00:00:00.000Z', '2026-04-15T00:00:00.000Z'],
    ['a half-hour change (Australia/Lord_Howe)', 'Australia/Lord_Howe', '2026-09-25T00:00:00.000Z', '2026-10-10T00:00:00.000Z'],
    ['a skipped date (Pacific/Apia, 2011-12-30)', 'Pacific/Apia', '2011-12-25T00:00:00.000Z', '2012-01-05T00:00:00.000Z'],
  ])('counts exactly the elapsed time across %s', (_name, timeZone, from, to) => {
    // Prepare
    const allDay = everyDay(timeZone, '00:00', '24:00');

    // Act
    const seconds = openSecondsBetween(new Date(from), new Date(to), allDay);

    // Assess
    expect(seconds).toBe((Date.parse(to) - Date.parse(from)) / 1000);
  });
});

describe('openSecondsBetween', () => {
  it('counts only the open hours over a weekend', () => {
    // Act: Friday 17:00 local to Monday 10:00 local
    const seconds = openSecondsBetween(new Date('2026-11-20T09:00:00.000Z'), new Date('2026-11-23T02:00:00.000Z'), shanghaiOffice);

    // Assess
    expect(seconds).toBe(2 * HOUR);
  });

  it('skips a holiday', () => {
    // Act: Wednesday 2026-09-30 00:00 local to Saturday 2026-10-03 00:00 local
    const seconds = openSecondsBetween(new Date('2026-09-29T16:00:00.000Z'), new Date('2026-10-02T16:00:00.000Z'), shanghaiOffice);

    // Assess
    expect(seconds).toBe(18 * HOUR);
  });

  it('is 0 when the end is not after the start', () => {
    // Prepare
    const at = new Date('2026-11-17T02:00:00.000Z');

    // Act
    const results = [
      openSecondsBetween(at, at, shanghaiOffice),
      openSecondsBetween(at, new Date('2026-11-17T01:00:00.000Z'), shanghaiOffice),
      openSecondsBetween(at, new Date('2026-11-17T01:00:00.000Z'), '24x7'),
    ];

    // Assess
    expect(results).toEqual([0, 0, 0]);
  });

  it('counts every second on a 24x7 calendar', () => {
    // Act
    const seconds = openSecondsBetween(new Date('2026-11-20T09:00:00.000Z'), new Date('2026-11-23T02:00:00.000Z'), '24x7');

    // Assess
    expect(seconds).toBe(65 * HOUR);
  });
});

describe('isOpen', () => {
  it.each<[string, string, boolean]>([
    ['at the opening instant (09:00 local)', '2026-11-17T01:00:00.000Z', true],
    ['just before opening', '2026-11-17T00:59:59.999Z', false],
    ['just before closing', '2026-11-17T09:59:59.999Z', true],
    ['at the closing instant (18:00 local)', '2026-11-17T10:00:00.000Z', false],
    ['on a Saturday at noon local', '2026-11-21T04:00:00.000Z', false],
    ['on the holiday at noon local', '2026-10-01T04:00:00.000Z', false],
  ])('%s (%s) is open: %s', (_name, at, expected) => {
    // Act
    const open = isOpen(new Date(at), shanghaiOffice);

    // Assess
    expect(open).toBe(expected);
  });

  it('is always open on a 24x7 calendar', () => {
    // Act
    const open = isOpen(new Date('2026-11-21T04:00:00.000Z'), '24x7');

    // Assess
    expect(open).toBe(true);
  });
});

describe('calendars without open time', () => {
  it('fails instead of searching forever when no day has hours', () => {
    // Prepare
    const noHours: BusinessHoursCalendar = { timeZone: 'Asia/Shanghai', hours: {}, holidays: [] };

    // Act
    const act = () => addOpenTime(new Date('2026-11-17T02:00:00.000Z'), HOUR, noHours);

    // Assess
    expect(act).toThrow(NoOpenTimeError);
    expect(act).toThrow(`no open time within ${MAX_CLOSED_DAYS} days after 2026-11-17T02:00:00.000Z in Asia/Shanghai`);
  });

  it('fails when every open day is a holiday', () => {
    // Prepare: Mondays only, and every Monday for two years a holiday
    const mondays = Array.from({ length: 110 }, (_, week) => new Date(Date.UTC(2026, 10, 16 + 7 * week)).toISOString().slice(0, 10));
    const onlyHolidays: BusinessHoursCalendar = { timeZone: 'Asia/Shanghai', hours: { mon: ['09:00', '18:00'] }, holidays: mondays };

    // Act
    const act = () => addOpenTime(new Date('2026-11-16T00:00:00.000Z'), HOUR, onlyHolidays);

    // Assess
    expect(act).toThrow(NoOpenTimeError);
  });
});

describe('calendars that cannot be read', () => {
  it.each<[string, BusinessHoursCalendar, string]>([
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons', hours: {}, holidays: [] }, 'timeZone: unknown time zone "Mars/Olympus_Mons"'],
    ['a close before the open', { timeZone: 'UTC', hours: { mon: ['18:00', '09:00'] }, holidays: [] }, 'hours.mon: close 09:00 must be after open 18:00'],
    ['a malformed time', { timeZone: 'UTC', hours: { tue: ['9am', '18:00'] }, holidays: [] }, 'hours.tue[0]: expected HH:MM, got "9am"'],
    ['24:00 as an opening', { timeZone: 'UTC', hours: { tue: ['24:00', '24:00'] }, holidays: [] }, 'hours.tue[0]: expected HH:MM, got "24:00"'],
    ['a holiday that is not a date', { timeZone: 'UTC', hours: {}, holidays: ['2026-02-30'] }, 'holidays[0]: expected YYYY-MM-DD, got "2026-02-30"'],
  ])('rejects %s', (_name, calendar, message) => {
    // Act
    const act = () => isOpen(new Date('2026-11-17T02:00:00.000Z'), calendar);

    // Assess
    expect(act).toThrow(InvalidCalendarError);
    expect(act).toThrow(message);
  });

  it('rejects a negative duration', () => {
    // Act
    const act = () => addOpenTime(new Date('2026-11-17T02:00:00.000Z'), -1, shanghaiOffice);

    // Assess
    expect(act).toThrow(RangeError);
  });
});
