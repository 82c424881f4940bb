import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, parseIsoDuration, parseSlaPolicy, parseSlaPolicyText, SlaPolicyError } from '../../functions/sla/policy';

describe('ISO-8601 durations', () => {
  it('reads weeks, days, hours, minutes and seconds, fractions of a second included', () => {
    expect(parseIsoDuration('PT15M')).toBe(900);
    expect(parseIsoDuration('PT20S')).toBe(20);
    expect(parseIsoDuration('PT1.5S')).toBe(1.5);
    expect(parseIsoDuration('P1DT2H')).toBe(93_600);
    expect(parseIsoDuration('P2W')).toBe(1_209_600);
  });

  it('refuses what is not a fixed length of time', () => {
    for (const text of ['soon', 'P', 'PT', 'P1M', 'P1Y', 'PT0S', '15M', 'pt15m', 'PT-5M', 'P1DT', ' PT1H']) expect(parseIsoDuration(text), text).toBeUndefined();
  });
});

describe('the SLA policy file', () => {
  it('is the defaults when the file sets nothing', () => {
    expect(parseSlaPolicy({})).toEqual(DEFAULT_SLA_POLICY);
    expect(DEFAULT_SLA_POLICY.targets.vip.urgent.firstResponse).toBe(900);
    expect(DEFAULT_SLA_POLICY.targets.standard.normal.firstResponse).toBe(86_400);
  });

  it('overrides only what it sets, down to one target', () => {
    const policy = parseSlaPolicy({ warnAt: 0.5, targets: { vip: { urgent: { firstResponse: 'PT20S' } } }, calendars: { standard: { timeZone: 'Asia/Shanghai', hours: { mon: ['09:00', '18:00'] }, holidays: ['2026-10-01'] } } });
    expect(policy.warnAt).toBe(0.5);
    expect(policy.targets.vip.urgent).toEqual({ ...DEFAULT_SLA_POLICY.targets.vip.urgent, firstResponse: 20 });
    expect(policy.targets.standard).toEqual(DEFAULT_SLA_POLICY.targets.standard);
    expect(policy.calendars).toEqual({ vip: '24x7', standard: { timeZone: 'Asia/Shanghai', hours: { mon: ['09:00', '18:00'] }, holidays: ['2026-10-01'] } });
  });

  it('names the path of every mistake', () => {
    const mistakes = () =>
      parseSlaPolicy({
        warnAt: 1.5,
        targets: { vip: { urgent: { firstResponse: 'soon' }, fast: {} } },
        calendars: { standard: { timeZone: 'Mars/Olympus', hours: { mon: ['18:00', '09:00'], funday: ['09:00', '10:00'] }, holidays: ['2026-02-30'] } },
      });
    expect(mistakes).toThrow(SlaPolicyError);
    const message = (() => {
      try {
        mistakes();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('targets.vip.urgent.firstResponse: expected an ISO-8601 duration such as "PT15M" (no years or months, more than zero), got "soon"');
    expect(message).toContain('warnAt: expected a fraction between 0 and 1');
    expect(message).toMatch(/targets\.vip: .*fast/);
  });

  it('refuses an unknown zone, backwards hours, an impossible holiday and text that is not JSON', () => {
    const messageOf = (json: unknown) => {
      try {
        parseSlaPolicy({ calendars: { standard: json } });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(messageOf({ timeZone: 'Mars/Olympus', hours: {} })).toContain('calendars.standard');
    expect(messageOf({ timeZone: 'Europe/London', hours: { mon: ['18:00', '09:00'] } })).toContain('closing time must be after opening time');
    expect(messageOf({ timeZone: 'Europe/London', hours: {}, holidays: ['2026-02-30'] })).toContain('expected a date "YYYY-MM-DD"');
    expect(() => parseSlaPolicyText('{ warnAt: ', 'policy.json')).toThrow(/policy\.json: not valid JSON/);
  });
});

describe('the policy file on disk', () => {
  it('names the file when it is missing or wrong', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadSlaPolicyFile } = await import('../../functions/sla/policy-file');
    const dir = mkdtempSync(join(tmpdir(), 'sla-policy-'));
    try {
      const file = join(dir, 'policy.json');
      expect(() => loadSlaPolicyFile(file)).toThrow(`${file}: cannot be read (ENOENT)`);
      writeFileSync(file, JSON.stringify({ targets: { vip: { urgent: { firstResponse: 'soon' } } } }));
      expect(() => loadSlaPolicyFile(file)).toThrow(`${file}: targets.vip.urgent.firstResponse: expected an ISO-8601 duration`);
      writeFileSync(file, JSON.stringify({ targets: { vip: { urgent: { firstResponse: 'PT20S' } } } }));
      expect(loadSlaPolicyFile(file).targets.vip.urgent.firstResponse).toBe(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a calendar that is never open and a target beyond 90 days, which no clock could count', () => {
    expect(() => parseSlaPolicy({ calendars: { standard: { timeZone: 'UTC', hours: {} } } })).toThrow(/calendars\.standard\.hours: expected opening hours on at least one day of the week/);
    expect(() => parseSlaPolicy({ targets: { standard: { low: { resolution: 'P2000W' } } } })).toThrow(/targets\.standard\.low\.resolution: expected at most 90 days/);
    expect(parseSlaPolicy({ targets: { standard: { low: { resolution: 'P90D' } } } }).targets.standard.low.resolution).toBe(90 * 86_400);
  });
});
