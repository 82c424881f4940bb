/**
 * `npm start`: the whole desk on 127.0.0.1, the same handlers as on AWS. Ctrl-C, SIGTERM, SIGHUP or the
 * parent going away stop everything, DynamoDB Local's Java process included; a start ends what a killed run
 * left behind in DATA_DIR.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadSlaPolicyFile } from '../functions/sla/policy-file';
import { loadDepositAddressFile } from '../functions/secrets/deposit-address-file';
import { sendRawMessage } from './cli/smtp-send';
import { startLocalStack, type LocalStack } from './local/stack';

const envSchema = z.object({
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(2525),
  API_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  MAILBOX_PORT: z.coerce.number().int().min(1).max(65535).default(8025),
  DATA_DIR: z.string().min(1).default('.local'),
  SUPPORT_ADDRESS: z.email().default('support@concierge.test'),
  LOCAL_DEMO: z.enum(['0', '1']).default('1'),
  /** Seconds between SLA scans (EventBridge runs it every minute on AWS). */
  SLA_SCAN_INTERVAL: z.coerce.number().int().min(1).max(86_400).default(60),
  SLA_POLICY_FILE: z.string().min(1).optional(),
  /** The published deposit addresses staff answers may name (README "Outbound guard"); none when unset. */
  DEPOSIT_ADDRESSES_FILE: z.string().min(1).optional(),
});

const log = (line: string) => process.stdout.write(`${line}\n`);

// Before any SDK client is built: the locked SDK versions support Node 20, and Lambda runs Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DEMO_FILE = join(import.meta.dirname, '..', 'tests', 'fixtures', 'demo', 'first-message.eml');
const DEMO_CUSTOMER = 'alice@example.com';
const DEFAULT_API_URL = 'http://127.0.0.1:3000';
const DEFAULT_SMTP_PORT = 2525;

interface TicketSummary {
  ref: string;
  subject: string;
  status: string;
}

async function demoTicket(apiUrl: string): Promise<TicketSummary | undefined> {
  const response = await fetch(`${apiUrl}/tickets?customer=${DEMO_CUSTOMER}&limit=1`);
  const body = (await response.json()) as { tickets?: TicketSummary[] };
  return body.tickets?.[0];
}

/** Sends the demo message once per data directory: a restart shows the ticket it already opened. */
async function runDemo(stack: LocalStack): Promise<void> {
  const earlier = await demoTicket(stack.apiUrl);
  if (earlier) {
    log(`\nDemo: alice@example.com's ticket [#${earlier.ref}] "${earlier.subject}" (from an earlier start) is ${earlier.status}.`);
    return;
  }
  await sendRawMessage({ host: '127.0.0.1', port: stack.smtpPort, raw: readFileSync(DEMO_FILE), to: [stack.supportAddress] });
  await stack.idle();
  const ticket = await demoTicket(stack.apiUrl);
  if (ticket) {
    log(`\nDemo: alice@example.com wrote in; ticket [#${ticket.ref}] "${ticket.subject}" is ${ticket.status}.`);
    log(`  Her acknowledgement is in ${stack.mailboxUrl}/ — try: npx concierge tickets show ${ticket.ref}`);
    log('  (set LOCAL_DEMO=0 to start without the demo message)');
  }
}

function banner(stack: LocalStack, dataDir: string, sla: { intervalSeconds: number; policyFile?: string }, deposit?: { file: string; count: number }): string {
  // The CLI finds a stack on the default ports by itself; on other ports it needs to be told.
  const cliEnv = [
    ...(stack.apiUrl !== DEFAULT_API_URL ? [`CONCIERGE_API_URL=${stack.apiUrl}`] : []),
    ...(stack.smtpPort !== DEFAULT_SMTP_PORT ? [`SMTP_PORT=${stack.smtpPort}`] : []),
  ];
  const cliSetup = cliEnv.length > 0 ? `\nThe CLI needs to know the ports (in the shell where you run it):\n  export ${cliEnv.join(' ')}\n` : '';
  return `
Concierge is running on 127.0.0.1
  SMTP receiver (plays SES receiving)  smtp://127.0.0.1:${stack.smtpPort}   accepts mail for ${stack.supportAddress}
  API                                  ${stack.apiUrl}   (/health, /tickets, /staff, /customers, /reports/sla, /suppressions; see README "API and CLI")
  Outbound mailbox (SES stand-in)      ${stack.mailboxUrl}/   files in ${stack.outboxDir}
  S3 server                            ${stack.s3Endpoint}   bucket ${stack.rawMailBucket}
  DynamoDB Local                       ${stack.dynamoEndpoint}   table ${stack.tableName}
  Data directory                       ${dataDir}
  SLA scan                             every ${sla.intervalSeconds} s, policy ${sla.policyFile ?? 'built-in defaults (set SLA_POLICY_FILE)'}
  Outbound guard                       ${deposit ? `${deposit.count} deposit addresses from ${deposit.file}` : 'no deposit address may be named (set DEPOSIT_ADDRESSES_FILE)'}
  Mailbox simulator                    mail to bounce@ or complaint@simulator.amazonses.com comes back as SES feedback
  Messages that held a secret          ${join(dataDir, 's3', stack.rawMailBucket, 'sensitive')}/
${cliSetup}
Read the demo ticket, then reply to it as its customer:
  npx concierge tickets list
  npx concierge tickets show <ref>
  npx concierge send tests/fixtures/demo/follow-up.eml
Then open ${stack.mailboxUrl}/ to read the acknowledgement with its full headers.
Ctrl-C (or kill -TERM) stops everything.`;
}

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`concierge: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  // A bad policy stops start-up before anything is started, naming the path of the mistake.
  if (env.SLA_POLICY_FILE) {
    try {
      loadSlaPolicyFile(env.SLA_POLICY_FILE);
    } catch (error) {
      process.stderr.write(`concierge: invalid SLA policy: ${(error as Error).message}\n`);
      process.exit(2);
    }
  }
  // A bad deposit-address list stops start-up the same way, naming the line.
  let deposit: { file: string; count: number } | undefined;
  if (env.DEPOSIT_ADDRESSES_FILE) {
    try {
      deposit = { file: env.DEPOSIT_ADDRESSES_FILE, count: loadDepositAddressFile(env.DEPOSIT_ADDRESSES_FILE).size };
    } catch (error) {
      process.stderr.write(`concierge: invalid deposit-address list: ${(error as Error).message}\n`);
      process.exit(2);
    }
  }

  // Every way of stopping stops everything: the handlers are in place before anything starts, so a signal
  // during start-up waits for it and then stops what was started.
  let stack: LocalStack | undefined;
  let starting: Promise<LocalStack | undefined> = Promise.resolve(undefined);
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`\n${why}: stopping…`);
    const started = stack ?? (await starting.catch(() => undefined));
    await started?.stop();
    log(`Stopped. Data kept in ${env.DATA_DIR}`);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal, 0));
  // A parent killed outright (npm or a wrapper getting SIGKILL) sends nothing: notice it by being re-parented.
  const parentAtStart = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentAtStart) void stop('parent process gone', 0);
  }, 1_000).unref();

  log('Starting Concierge locally (DynamoDB Local needs Java 17+)…');
  starting = startLocalStack({
    dataDir: env.DATA_DIR,
    smtpPort: env.SMTP_PORT,
    apiPort: env.API_PORT,
    sesPort: env.MAILBOX_PORT,
    supportAddress: env.SUPPORT_ADDRESS,
    slaScanIntervalSeconds: env.SLA_SCAN_INTERVAL,
    log: (line) => log(`  ${line}`),
    onFatal: (error) => {
      process.stderr.write(`concierge: ${error.message}\n`);
      void stop('a stand-in is down for good', 1);
    },
  });
  try {
    stack = await starting;
  } catch (error) {
    process.stderr.write(`concierge: could not start the local stack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  if (stopping || !stack) return;

  log(banner(stack, env.DATA_DIR, { intervalSeconds: env.SLA_SCAN_INTERVAL, ...(env.SLA_POLICY_FILE ? { policyFile: env.SLA_POLICY_FILE } : {}) }, deposit));
  if (env.LOCAL_DEMO === '1') {
    await runDemo(stack).catch((error: unknown) => log(`\nThe demo message could not be sent: ${error instanceof Error ? error.message : String(error)}`));
  }
}

void main();
