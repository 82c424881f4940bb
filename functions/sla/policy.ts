/**
 * The SLA policy: response and resolution targets per tier and priority, the fraction of a target at which the
 * assignee is warned, and the calendar each tier's clock runs on. One JSON file (`SLA_POLICY_FILE` locally, a
 * CDK parameter on AWS) that may set any part of it; everything it leaves out comes from the defaults below.
 * A bad file stops start-up with the path of each mistake.
 */
import { createHash } from 'node:crypto';
import * as z from '../commons/validation';
import type { Tier } from '../tickets/model';
import type { Calendar } from './calendar';

export const SLA_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type SlaPriority = (typeof SLA_PRIORITIES)[number];
export const SLA_TARGETS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];
const TIERS = ['vip', 'standard'] as const satisfies readonly Tier[];
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Targets in seconds. */
export type TargetSeconds = Record<SlaTarget, number>;

/** A tier's clock: round the clock, or open hours in a time zone (sla/calendar.ts). */
export type CalendarPolicy = Calendar;

export interface SlaPolicy {
  warnAt: number;
  targets: Record<Tier, Record<SlaPriority, TargetSeconds>>;
  calendars: Record<Tier, CalendarPolicy>;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/**
 * The brief's defaults for first responses (VIP urgent 15 min, VIP 1 h, standard urgent 1 h, standard 24 h),
 * with the next response and resolution targets scaled from them; crypto support runs round the clock.
 */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  warnAt: 0.75,
  targets: {
    vip: {
      urgent: { firstResponse: 15 * MINUTE, nextResponse: 30 * MINUTE, resolution: 4 * HOUR },
      high: { firstResponse: 30 * MINUTE, nextResponse: 1 * HOUR, resolution: 8 * HOUR },
      normal: { firstResponse: 1 * HOUR, nextResponse: 2 * HOUR, resolution: 1 * DAY },
      low: { firstResponse: 4 * HOUR, nextResponse: 8 * HOUR, resolution: 3 * DAY },
    },
    standard: {
      urgent: { firstResponse: 1 * HOUR, nextResponse: 2 * HOUR, resolution: 8 * HOUR },
      high: { firstResponse: 4 * HOUR, nextResponse: 8 * HOUR, resolution: 2 * DAY },
      normal: { firstResponse: 1 * DAY, nextResponse: 1 * DAY, resolution: 5 * DAY },
      low: { firstResponse: 2 * DAY, nextResponse: 2 * DAY, resolution: 10 * DAY },
    },
  },
  calendars: { vip: '24x7', standard: '24x7' },
};

/**
 * `P[nW][nD][T[nH][nM][nS]]` as seconds (fractions of a second allowed on seconds). Years and months are
 * refused: their length depends on the date, and a response target must not.
 */
const ISO_DURATION = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * The longest target a policy may set. A promise further off than a quarter is no response time, and the
 * cost of counting open hours grows with the target on a business-hours calendar.
 */
export const MAX_TARGET_SECONDS = 90 * DAY;

export function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text);
  if (!match) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  const total = Number(weeks ?? 0) * 7 * DAY + Number(days ?? 0) * DAY + Number(hours ?? 0) * HOUR + Number(minutes ?? 0) * MINUTE + Number(seconds ?? 0);
  return total > 0 && Number.isFinite(total) ? total : undefined;
}

const duration = z.pipe(
  z.string({ error: (issue) => `expected an ISO-8601 duration such as "PT15M", got ${JSON.stringify(issue.input)}` }),
  z.transform((text: string, ctx) => {
    const seconds = parseIsoDuration(text);
    if (seconds !== undefined && seconds > MAX_TARGET_SECONDS) {
      ctx.issues.push({ code: 'custom', message: `expected at most 90 days ("P90D"), got ${JSON.stringify(text)}`, input: text });
      return z.NEVER;
    }
    if (seconds !== undefined) return seconds;
    ctx.issues.push({ code: 'custom', message: `expected an ISO-8601 duration such as "PT15M" (no years or months, more than zero), got ${JSON.stringify(text)}`, input: text });
    return z.NEVER;
  }),
);

const targetsShape = z.strictObject(Object.fromEntries(SLA_TARGETS.map((target) => [target, z.optional(duration)])) as Record<SlaTarget, z.ZodMiniOptional<typeof duration>>);
const tierTargets = z.strictObject(Object.fromEntries(SLA_PRIORITIES.map((priority) => [priority, z.optional(targetsShape)])) as Record<SlaPriority, z.ZodMiniOptional<typeof targetsShape>>);

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;
const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
const openingHours = z.tuple([z.string().check(z.regex(CLOCK, 'expected "HH:MM"')), z.string().check(z.regex(CLOCK, 'expected "HH:MM"'))]).check(
  z.refine(([open, close]) => minutesOf(close) > minutesOf(open), 'closing time must be after opening time on the same day'),
);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const isoDate = z.string().check(
  z.refine((text) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), 'expected a date "YYYY-MM-DD"'),
);

const calendar = z.union([
  z.literal('24x7'),
  z.strictObject({
    timeZone: z.string().check(z.refine(isTimeZone, 'expected an IANA time zone such as "Asia/Shanghai"')),
    // A calendar that is never open would never let a clock run: no due time could ever be computed.
    hours: z
      .strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, z.optional(openingHours)])) as Record<(typeof WEEKDAYS)[number], z.ZodMiniOptional<typeof openingHours>>)
      .check(z.refine((hours) => Object.values(hours).some(Boolean), 'expected opening hours on at least one day of the week')),
    holidays: z._default(z.array(isoDate), []),
  }),
]);

const policyFile = z.strictObject({
  warnAt: z.optional(z.number().check(z.gt(0, 'expected a fraction between 0 and 1'), z.lt(1, 'expected a fraction between 0 and 1'))),
  targets: z.optional(z.strictObject({ vip: z.optional(tierTargets), standard: z.optional(tierTargets) })),
  calendars: z.optional(z.strictObject({ vip: z.optional(calendar), standard: z.optional(calendar) })),
});

export class SlaPolicyError extends Error {
  override readonly name = 'SlaPolicyError';
}

/** The policy `json` (a file's parsed content) sets, over the defaults; throws SlaPolicyError naming each mistake's path. */
export function parseSlaPolicy(json: unknown, source = 'SLA policy'): SlaPolicy {
  const parsed = policyFile.safeParse(json);
  if (!parsed.success) {
    const mistakes = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    throw new SlaPolicyError(`${source}: ${mistakes.join('; ')}`);
  }
  const file = parsed.data;
  const targets = Object.fromEntries(
    TIERS.map((tier) => [
      tier,
      Object.fromEntries(SLA_PRIORITIES.map((priority) => [priority, { ...DEFAULT_SLA_POLICY.targets[tier][priority], ...definedOnly(file.targets?.[tier]?.[priority]) }])),
    ]),
  ) as SlaPolicy['targets'];
  const calendars = Object.fromEntries(TIERS.map((tier) => [tier, (file.calendars?.[tier] as CalendarPolicy | undefined) ?? DEFAULT_SLA_POLICY.calendars[tier]])) as SlaPolicy['calendars'];
  return { warnAt: file.warnAt ?? DEFAULT_SLA_POLICY.warnAt, targets, calendars };
}

/** Reads and checks the policy file's text (JSON). */
export function parseSlaPolicyText(text: string, source: string): SlaPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SlaPolicyError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseSlaPolicy(json, source);
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return value ? (Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>) : {};
}

/** A short fingerprint of `policy`: the scan re-indexes open tickets when the policy in force has another. */
export function slaPolicyFingerprint(policy: SlaPolicy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('base64url').slice(0, 16);
}
