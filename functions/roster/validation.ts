/**
 * The shapes the roster accepts from the API, the CLI and an imported file. Addresses are lower-cased here,
 * once; `null` in a body clears an optional field.
 */
import * as z from '../commons/validation';
import type { CustomerFields, NewStaff, StaffPatch } from '../ports/roster-store';
import { ANTI_PHISHING_CODE, CUSTOMER_LANGUAGES, CUSTOMER_TIERS, STAFF_ROLES, STAFF_STATUSES } from './model';

export const STAFF_ID = /^st-[a-z2-7]{8}$/;
/** Enough for any desk; a number that cannot be a mistake of a spreadsheet cell. */
export const MAX_CAPACITY = 100_000;
/** A client's other addresses: a handful in practice, bounded so a record stays small. */
export const MAX_ALIASES = 20;

const emailAddress = z.pipe(
  z.email('expected an email address'),
  z.transform((value: string) => value.toLowerCase()),
);
const staffId = z.string().check(z.regex(STAFF_ID, 'expected a staff id such as st-k3q7xm2a'));
const capacity = z.number('expected a whole number from 0').check(z.int('expected a whole number from 0'), z.gte(0, 'expected a whole number from 0'), z.lte(MAX_CAPACITY, `at most ${MAX_CAPACITY}`));
const name = z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200, 'at most 200 characters'));
const antiPhishingCode = z.string().check(z.regex(ANTI_PHISHING_CODE, '4 to 20 letters, digits or underscores'));
const tier = z.enum(CUSTOMER_TIERS, `expected one of ${CUSTOMER_TIERS.join(', ')}`);
const language = z.enum(CUSTOMER_LANGUAGES, `expected one of ${CUSTOMER_LANGUAGES.join(', ')}`);
const role = z.enum(STAFF_ROLES, `expected one of ${STAFF_ROLES.join(', ')}`);
const status = z.enum(STAFF_STATUSES, `expected one of ${STAFF_STATUSES.join(', ')}`);

export const newStaffSchema = z.strictObject({
  name,
  email: emailAddress,
  role,
  status: z._default(status, 'active'),
  backupId: z.optional(staffId),
  capacity: z.optional(capacity),
});

export const staffPatchSchema = z
  .strictObject({
    name: z.optional(name),
    email: z.optional(emailAddress),
    role: z.optional(role),
    status: z.optional(status),
    backupId: z.optional(z.nullable(staffId)),
    capacity: z.optional(z.nullable(capacity)),
  })
  .check(z.refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change'));

const customerFieldShapes = {
  aliases: z.optional(z.array(emailAddress).check(z.maxLength(MAX_ALIASES, `at most ${MAX_ALIASES} addresses`))),
  tier: z.optional(tier),
  managerId: z.optional(z.nullable(staffId)),
  language: z.optional(z.nullable(language)),
  antiPhishingCode: z.optional(z.nullable(antiPhishingCode)),
};

export const customerBodySchema = z.strictObject({ email: emailAddress, ...customerFieldShapes });
export const customerPatchSchema = z
  .strictObject(customerFieldShapes)
  .check(z.refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change'));

export type NewStaffBody = z.output<typeof newStaffSchema>;
export type StaffPatchBody = z.output<typeof staffPatchSchema>;
export type CustomerPatchBody = z.output<typeof customerPatchSchema>;

export function toNewStaff(body: NewStaffBody): NewStaff {
  return {
    name: body.name,
    email: body.email,
    role: body.role,
    status: body.status,
    ...(body.backupId !== undefined ? { backupId: body.backupId } : {}),
    ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
  };
}

/** The port's patch: keys left out stay as they are, `null` becomes a key present with `undefined` (cleared). */
export function toStaffPatch(body: StaffPatchBody): StaffPatch {
  const patch: StaffPatch = {};
  for (const [key, value] of Object.entries(body)) if (value !== undefined) (patch as Record<string, unknown>)[key] = value ?? undefined;
  return patch;
}

export function toCustomerFields(body: CustomerPatchBody): CustomerFields {
  const fields: CustomerFields = {};
  for (const [key, value] of Object.entries(body)) if (key !== 'email' && value !== undefined) (fields as Record<string, unknown>)[key] = value ?? undefined;
  return fields;
}

// ------------------------------------------------------------------------------------------- import lines

/** The columns of an imported roster, as its header may name them (in any case). */
export const IMPORT_COLUMNS = ['email', 'tier', 'manager', 'language', 'antiPhishingCode'] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** One line of an imported roster as read: cells as written, `line` its number in the file. */
export type RawImportLine = { line: number } & Partial<Record<ImportColumn, string>>;

/** One valid line: an empty cell is a field the file does not set. */
export interface ImportLine {
  line: number;
  email: string;
  tier?: (typeof CUSTOMER_TIERS)[number];
  /** A staff member's address. */
  manager?: string;
  language?: (typeof CUSTOMER_LANGUAGES)[number];
  antiPhishingCode?: string;
}

export interface LineError {
  line: number;
  errors: string[];
}

const cellSchemas = {
  email: emailAddress,
  tier,
  manager: emailAddress,
  language,
  antiPhishingCode,
} as const;

/**
 * A line's cells checked one by one, every problem named with its column; a bad line still gives its good
 * cells, so the checks against the roster can name their problems too.
 */
export function parseImportLine(raw: RawImportLine): { line: ImportLine } | { error: LineError; validCells: Partial<ImportLine> } {
  const errors: string[] = [];
  const line: Record<string, unknown> = { line: raw.line };
  for (const column of IMPORT_COLUMNS) {
    const cell = raw[column]?.trim() ?? '';
    if (cell === '') {
      if (column === 'email') errors.push('email: missing');
      continue;
    }
    const parsed = cellSchemas[column].safeParse(cell);
    if (parsed.success) line[column] = parsed.data;
    else errors.push(`${column}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(cell.length > 60 ? `${cell.slice(0, 60)}…` : cell)})`);
  }
  return errors.length > 0 ? { error: { line: raw.line, errors }, validCells: line as Partial<ImportLine> } : { line: line as unknown as ImportLine };
}

export const MAX_IMPORT_LINES_PER_REQUEST = 1000;

export const importRequestSchema = z.strictObject({
  /** Recorded in the manager history as `import:<source>`. */
  source: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  /** Validate only: report every bad line, write nothing. */
  dryRun: z.optional(z.boolean()),
  lines: z
    .array(
      z.strictObject({
        line: z.number().check(z.int(), z.gte(1)),
        ...Object.fromEntries(IMPORT_COLUMNS.map((column) => [column, z.optional(z.string().check(z.maxLength(5000)))])),
      }),
    )
    .check(z.minLength(1, 'expected at least one line'), z.maxLength(MAX_IMPORT_LINES_PER_REQUEST, `at most ${MAX_IMPORT_LINES_PER_REQUEST} lines per request`)),
});
