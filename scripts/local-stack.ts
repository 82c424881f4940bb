/**
 * `npm start`: the whole desk on 127.0.0.1, the same handlers as on AWS. Ctrl-C stops everything,
 * DynamoDB Local's Java process included.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { sendRawMessage } from './cli/smtp-send';
import { startLocalStack, type LocalStack } from './local/stack';

const envSchema = z.object({
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(2525),
  API_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  MAILBOX_PORT: z.coerce.number().int().min(1).max(65535).default(8025),
  DATA_DIR: z.string().min(1).default('.local'),
  SUPPORT_ADDRESS: z.email().default('support@concierge.test'),
  LOCAL_DEMO: z.enum(['0', '1']).default('1'),
});

const log = (line: string) => process.stdout.write(`${line}\n`);

// Before any SDK client is built: the locked SDK versions support Node 20, and Lambda runs Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`concierge: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  log('Starting Concierge locally (DynamoDB Local needs Java 17+)…');
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir: env.DATA_DIR,
      smtpPort: env.SMTP_PORT,
      apiPort: env.API_PORT,
      sesPort: env.MAILBOX_PORT,
      supportAddress: env.SUPPORT_ADDRESS,
      log: (line) => log(`  ${line}`),
    });
  } catch (error) {
    process.stderr.write(`concierge: could not start the local stack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping…`);
    await stack.stop();
    log('Stopped. Data kept in ' + env.DATA_DIR);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  log(`
Concierge is running on 127.0.0.1
  SMTP receiver (plays SES receiving)  smtp://127.0.0.1:${stack.smtpPort}   accepts mail for ${stack.supportAddress}
  API                                  ${stack.apiUrl}   (GET /health, /tickets, /tickets/{id|ref})
  Outbound mailbox (SES stand-in)      ${stack.mailboxUrl}/   files in ${stack.outboxDir}
  S3 server                            ${stack.s3Endpoint}   bucket ${stack.rawMailBucket}
  DynamoDB Local                       ${stack.dynamoEndpoint}   table ${stack.tableName}
  Data directory                       ${env.DATA_DIR}

Send a first message:
  npx concierge send tests/fixtures/demo/first-message.eml
  npx concierge tickets list
  npx concierge tickets show <ref>
Then open ${stack.mailboxUrl}/ to read the acknowledgement with its full headers.
Ctrl-C stops everything.`);

  if (env.LOCAL_DEMO === '1') {
    const demo = readFileSync(join(import.meta.dirname, '..', 'tests', 'fixtures', 'demo', 'first-message.eml'));
    // A fresh Message-ID each start, so the demo is a new message rather than a recognised re-delivery.
    const fresh = Buffer.from(demo.toString('utf8').replace('<demo-first-message@example.com>', `<demo-${Date.now()}@example.com>`));
    await sendRawMessage({ host: '127.0.0.1', port: stack.smtpPort, raw: fresh, to: [stack.supportAddress] });
    await stack.idle();
    const response = await fetch(`${stack.apiUrl}/tickets?customer=alice@example.com&limit=1`);
    const body = (await response.json()) as { tickets: Array<{ ref: string; subject: string; status: string }> };
    const [ticket] = body.tickets;
    if (ticket) {
      log(`\nDemo: alice@example.com wrote in; ticket [#${ticket.ref}] "${ticket.subject}" is ${ticket.status}.`);
      log(`  Her acknowledgement is in ${stack.mailboxUrl}/ — try: npx concierge tickets show ${ticket.ref}`);
      log('  (set LOCAL_DEMO=0 to start without the demo message)');
    }
  }
}

void main();
