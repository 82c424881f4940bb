import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { loadSlaPolicyFile } from '../functions/sla/policy-file';
import { loadDepositAddressFile } from '../functions/secrets/deposit-address-file';

/** Where `cdk.json` lives and CDK runs the app: relative parameter paths start here. */
const PROJECT_ROOT = join(import.meta.dirname, '..');

/** What an engineer sets in cdk.json's context or with `-c key=value` on the command line. */
export const parametersSchema = z.object({
  /** The domain customers write to, verified in SES. */
  mailDomain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'mailDomain must be a domain name'),
  /** Support addresses (comma-separated on the command line); the first is the one Concierge sends from. */
  supportAddresses: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((a) => a.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.email()).min(1)),
  /** Sender of staff notifications; mail from it is Concierge's own (a loop if it comes back). */
  notificationSender: z.email(),
  /** Where alarms are e-mailed (confirm the SNS subscription after deploy). */
  alarmEmail: z.email(),
  /** Days raw mail and attachments are kept in S3. */
  retentionDays: z.coerce.number().int().min(1).max(3650).default(90),
  /** Days quarantined mail is kept. */
  quarantineRetentionDays: z.coerce.number().int().min(1).max(3650).default(30),
  /**
   * Acknowledgements the whole desk sends per clock hour (UTC): the per-sender cap keys on a From address anyone
   * can forge. At most 10,000: the hour's count item holds one small attribute per acknowledged sender and is
   * billed by its size (about 120 KB at this cap), and DynamoDB refuses items over 400 KB.
   */
  ackLimitPerHour: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Acknowledgements one sender receives per clock hour (UTC). */
  ackLimitPerSenderPerHour: z.coerce.number().int().min(1).max(1_000).default(5),
  /** Create the SES domain identity (false when the domain is already verified in this account and region). */
  manageSesIdentity: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((value) => value === true || value === 'true')
    .default(true),
  /**
   * The SLA policy file (JSON, see docs/sla-policy.example.json), relative to the project or absolute; absent,
   * the functions use the built-in defaults.
   */
  slaPolicyFile: z.string().trim().min(1).optional(),
  /**
   * The exchange's published deposit addresses (text, one per line, see README "Outbound guard"), relative to
   * the project or absolute: the only crypto addresses a staff answer may name. Absent, none may.
   */
  depositAddressesFile: z.string().trim().min(1).optional(),
});

/** An SLA policy file checked at synth, its text as written (bundled into the functions that keep the SLA clock). */
export interface BundledSlaPolicy {
  /** Absolute path of the file. */
  readonly file: string;
  readonly text: string;
}

/** A deposit-address file checked at synth, its text as written (bundled into the functions that relay answers). */
export interface BundledDepositAddresses {
  /** Absolute path of the file. */
  readonly file: string;
  readonly text: string;
}

export type ConciergeParameters = z.output<typeof parametersSchema> & {
  /** The policy `slaPolicyFile` names, checked; absent when the parameter is not set. */
  readonly slaPolicy?: BundledSlaPolicy;
  /** The list `depositAddressesFile` names, checked; absent when the parameter is not set. */
  readonly depositAddresses?: BundledDepositAddresses;
};

/** Parses the context; every problem is named so `cdk synth` fails with a message, not a stack trace. */
export function readParameters(context: (key: string) => unknown): ConciergeParameters {
  const keys = Object.keys(parametersSchema.shape) as Array<keyof typeof parametersSchema.shape>;
  const raw = Object.fromEntries(keys.map((key) => [key, context(key)]).filter(([, value]) => value !== undefined));
  const parsed = parametersSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`Concierge parameters: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  for (const address of [...parsed.data.supportAddresses, parsed.data.notificationSender]) {
    if (!address.endsWith(`@${parsed.data.mailDomain.toLowerCase()}`)) {
      throw new Error(`Concierge parameters: ${address} is not an address at mailDomain ${parsed.data.mailDomain}`);
    }
  }
  if (parsed.data.ackLimitPerSenderPerHour > parsed.data.ackLimitPerHour) {
    throw new Error(
      `Concierge parameters: ackLimitPerSenderPerHour (${parsed.data.ackLimitPerSenderPerHour}) is above ackLimitPerHour (${parsed.data.ackLimitPerHour}), the cap for the whole desk`,
    );
  }
  const slaPolicy = parsed.data.slaPolicyFile === undefined ? undefined : readSlaPolicy(parsed.data.slaPolicyFile);
  const depositAddresses = parsed.data.depositAddressesFile === undefined ? undefined : readDepositAddresses(parsed.data.depositAddressesFile);
  return { ...parsed.data, ...(slaPolicy ? { slaPolicy } : {}), ...(depositAddresses ? { depositAddresses } : {}) };
}

/** Checks the deposit-address file as the functions will, so a bad line fails `cdk synth`, naming it. */
function readDepositAddresses(path: string): BundledDepositAddresses {
  const file = isAbsolute(path) ? path : resolve(PROJECT_ROOT, path);
  try {
    loadDepositAddressFile(file);
  } catch (error) {
    throw new Error(`Concierge parameters: depositAddressesFile: ${(error as Error).message}`);
  }
  return { file, text: readFileSync(file, 'utf8') };
}

/**
 * Checks the policy file as the functions will (loadSlaPolicyFile), so a bad one fails `cdk synth` with the
 * path of each mistake instead of every cold start on AWS.
 */
function readSlaPolicy(path: string): BundledSlaPolicy {
  const file = isAbsolute(path) ? path : resolve(PROJECT_ROOT, path);
  try {
    loadSlaPolicyFile(file);
  } catch (error) {
    throw new Error(`Concierge parameters: slaPolicyFile: ${(error as Error).message}`);
  }
  return { file, text: readFileSync(file, 'utf8') };
}
