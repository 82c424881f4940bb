import * as z from './validation';
import { DEFAULT_MAIL_LIMITS, validateMailLimits, type MailLimits } from '../mail/limits';
import type { SlaPolicy } from '../sla/policy';
import { loadConfiguredSlaPolicy } from '../sla/policy-file';
import { loadConfiguredDepositAddresses } from '../secrets/deposit-address-file';

/** Thrown at start-up when the environment does not describe a usable deployment. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const emailAddress = z.pipe(z.email(), z.transform((value: string) => value.toLowerCase()));
const addressList = z.pipe(
  z._default(z.string(), ''),
  z.pipe(
    z.transform((value: string) => value.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean)),
    z.array(z.email()),
  ),
);
const positiveInt = z.coerce.number().check(z.int(), z.positive());
const positiveIntOr = (fallback: number) => z._default(positiveInt, fallback);

const inboundEnvSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3)),
  RAW_MAIL_BUCKET: z.string().check(z.minLength(3)),
  RAW_MAIL_PREFIX: z._default(z.string(), 'inbound/'),
  ATTACHMENT_PREFIX: z._default(z.string(), 'attachments/'),
  QUARANTINE_PREFIX: z._default(z.string(), 'quarantine/'),
  /** Raw messages that held a secret, moved out of RAW_MAIL_PREFIX; on AWS only a break-glass role reads them. */
  SENSITIVE_MAIL_PREFIX: z._default(z.string(), 'sensitive/'),
  /** The KMS key (id or ARN) those copies are encrypted with; unset locally. */
  SENSITIVE_MAIL_KEY_ID: z.optional(z.string().check(z.minLength(1))),
  SUPPORT_ADDRESS: emailAddress,
  SUPPORT_DISPLAY_NAME: z._default(z.string(), 'Concierge Support'),
  /** Further addresses that belong to the desk (staff notification sender, aliases): mail from them is a loop. */
  OWN_ADDRESSES: addressList,
  /** The reply-address signing secret itself (local), or the Secrets Manager secret that holds it (AWS). */
  REPLY_TOKEN_SECRET: z.optional(z.string().check(z.minLength(32, 'REPLY_TOKEN_SECRET must be at least 32 characters'))),
  REPLY_TOKEN_SECRET_ARN: z.optional(z.string().check(z.startsWith('arn:', 'REPLY_TOKEN_SECRET_ARN must be an ARN'))),
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  SES_CONFIGURATION_SET: z.optional(z.string()),
  ACK_LIMIT_PER_SENDER_PER_HOUR: positiveIntOr(5),
  /** Desk-wide: the per-sender cap is keyed on a From address a forger chooses freely. */
  ACK_LIMIT_PER_HOUR: positiveIntOr(200),
  MAX_MESSAGE_BYTES: positiveIntOr(DEFAULT_MAIL_LIMITS.maxMessageBytes),
  MAX_HEADER_BYTES: positiveIntOr(DEFAULT_MAIL_LIMITS.maxHeaderBytes),
  MAX_MIME_DEPTH: positiveIntOr(DEFAULT_MAIL_LIMITS.maxMimeDepth),
  MAX_MIME_PARTS: positiveIntOr(DEFAULT_MAIL_LIMITS.maxMimeParts),
  PARSE_TIMEOUT_MS: positiveIntOr(DEFAULT_MAIL_LIMITS.parseTimeoutMs),
  /** Local S3 servers answer on one host name; AWS uses virtual-hosted buckets. */
  S3_FORCE_PATH_STYLE: z._default(z.enum(['true', 'false']), 'false'),
});

export interface InboundConfig {
  tableName: string;
  rawMailBucket: string;
  rawMailPrefix: string;
  attachmentPrefix: string;
  quarantinePrefix: string;
  sensitiveMailPrefix: string;
  sensitiveMailKeyId?: string;
  supportAddress: string;
  supportDisplayName: string;
  ownAddresses: string[];
  replyTokenSecret: { value: string } | { secretArn: string };
  region: string;
  sesConfigurationSet?: string;
  ackLimitPerSenderPerHour: number;
  ackLimitPerHour: number;
  slaPolicy: SlaPolicy;
  /** The published deposit addresses a staff answer may name (canonical forms); empty by default. */
  depositAddresses: ReadonlySet<string>;
  mailLimits: MailLimits;
  s3ForcePathStyle: boolean;
}

/** The SLA policy (sla/policy-file.ts); a bad one stops start-up with the path of each mistake. */
function configuredSlaPolicy(env: NodeJS.ProcessEnv): SlaPolicy {
  try {
    return loadConfiguredSlaPolicy(env);
  } catch (error) {
    throw new ConfigError(`invalid SLA policy: ${(error as Error).message}`);
  }
}

/** The deposit-address list (secrets/deposit-address-file.ts); a bad one stops start-up with the line of each mistake. */
function configuredDepositAddresses(env: NodeJS.ProcessEnv): ReadonlySet<string> {
  try {
    return loadConfiguredDepositAddresses(env);
  } catch (error) {
    throw new ConfigError(`invalid deposit-address list: ${(error as Error).message}`);
  }
}

function formatIssues(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Reads the inbound pipeline's configuration; throws ConfigError naming every bad variable. */
export function loadInboundConfig(env: NodeJS.ProcessEnv = process.env): InboundConfig {
  const parsed = inboundEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error)}`);
  const value = parsed.data;
  const replyTokenSecret = value.REPLY_TOKEN_SECRET
    ? { value: value.REPLY_TOKEN_SECRET }
    : value.REPLY_TOKEN_SECRET_ARN
      ? { secretArn: value.REPLY_TOKEN_SECRET_ARN }
      : undefined;
  if (!replyTokenSecret) throw new ConfigError('invalid configuration: set REPLY_TOKEN_SECRET or REPLY_TOKEN_SECRET_ARN');
  return {
    tableName: value.TABLE_NAME,
    rawMailBucket: value.RAW_MAIL_BUCKET,
    rawMailPrefix: value.RAW_MAIL_PREFIX,
    attachmentPrefix: value.ATTACHMENT_PREFIX,
    quarantinePrefix: value.QUARANTINE_PREFIX,
    sensitiveMailPrefix: value.SENSITIVE_MAIL_PREFIX,
    ...(value.SENSITIVE_MAIL_KEY_ID ? { sensitiveMailKeyId: value.SENSITIVE_MAIL_KEY_ID } : {}),
    supportAddress: value.SUPPORT_ADDRESS,
    supportDisplayName: value.SUPPORT_DISPLAY_NAME,
    ownAddresses: [...new Set([value.SUPPORT_ADDRESS, ...value.OWN_ADDRESSES])],
    replyTokenSecret,
    region: value.AWS_REGION,
    ...(value.SES_CONFIGURATION_SET ? { sesConfigurationSet: value.SES_CONFIGURATION_SET } : {}),
    ackLimitPerSenderPerHour: value.ACK_LIMIT_PER_SENDER_PER_HOUR,
    ackLimitPerHour: value.ACK_LIMIT_PER_HOUR,
    slaPolicy: configuredSlaPolicy(env),
    depositAddresses: configuredDepositAddresses(env),
    mailLimits: validateMailLimits({
      ...DEFAULT_MAIL_LIMITS,
      maxMessageBytes: value.MAX_MESSAGE_BYTES,
      maxHeaderBytes: value.MAX_HEADER_BYTES,
      maxMimeDepth: value.MAX_MIME_DEPTH,
      maxMimeParts: value.MAX_MIME_PARTS,
      parseTimeoutMs: value.PARSE_TIMEOUT_MS,
    }),
    s3ForcePathStyle: value.S3_FORCE_PATH_STYLE === 'true',
  };
}

/** The API relays staff answers, so it knows the desk's address and the reply-address secret too. */
const apiEnvSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3)),
  SUPPORT_ADDRESS: emailAddress,
  SUPPORT_DISPLAY_NAME: z._default(z.string(), 'Concierge Support'),
  REPLY_TOKEN_SECRET: z.optional(z.string().check(z.minLength(32, 'REPLY_TOKEN_SECRET must be at least 32 characters'))),
  REPLY_TOKEN_SECRET_ARN: z.optional(z.string().check(z.startsWith('arn:', 'REPLY_TOKEN_SECRET_ARN must be an ARN'))),
  AWS_REGION: z._default(z.string(), 'us-east-1'),
  SES_CONFIGURATION_SET: z.optional(z.string()),
});

export interface ApiConfig {
  tableName: string;
  supportAddress: string;
  supportDisplayName: string;
  replyTokenSecret: { value: string } | { secretArn: string };
  region: string;
  sesConfigurationSet?: string;
  slaPolicy: SlaPolicy;
  /** The published deposit addresses a staff answer may name (canonical forms); empty by default. */
  depositAddresses: ReadonlySet<string>;
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = apiEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error)}`);
  const value = parsed.data;
  const replyTokenSecret = value.REPLY_TOKEN_SECRET ? { value: value.REPLY_TOKEN_SECRET } : value.REPLY_TOKEN_SECRET_ARN ? { secretArn: value.REPLY_TOKEN_SECRET_ARN } : undefined;
  if (!replyTokenSecret) throw new ConfigError('invalid configuration: set REPLY_TOKEN_SECRET or REPLY_TOKEN_SECRET_ARN');
  return {
    tableName: value.TABLE_NAME,
    supportAddress: value.SUPPORT_ADDRESS,
    supportDisplayName: value.SUPPORT_DISPLAY_NAME,
    replyTokenSecret,
    region: value.AWS_REGION,
    ...(value.SES_CONFIGURATION_SET ? { sesConfigurationSet: value.SES_CONFIGURATION_SET } : {}),
    slaPolicy: configuredSlaPolicy(env),
    depositAddresses: configuredDepositAddresses(env),
  };
}
