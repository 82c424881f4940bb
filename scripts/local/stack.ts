import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { SesReceiptEvent } from '../../functions/inbound/ses-event';
import { startApiServer, lambdaContext } from './api-server';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { probeDynamoDb, probeS3, probeTcp, summarise, type HealthReport, type StandInHealth } from './health';
import { freePort } from './processes';
import { claimDataDir } from './run-lock';
import { startLocalS3 } from './s3-server';
import { simulatedFeedback } from './ses/mailbox-simulator';
import { startLocalSesEndpoint, type LocalSesEnvelope } from './ses/server';
import { startSmtpReceiver, type LocalVerdictRules } from './smtp-receiver';

export interface LocalStackOptions {
  dataDir: string;
  smtpPort: number;
  apiPort: number;
  /** 0 picks free ports for the stand-ins. */
  s3Port?: number;
  sesPort?: number;
  dynamoPort?: number;
  /** Keep DynamoDB in memory (tests) instead of under dataDir. */
  inMemoryDatabase?: boolean;
  supportAddress?: string;
  region?: string;
  verdictRules?: Partial<LocalVerdictRules>;
  /** Extra environment for the handlers (limits, SLA policy, …). */
  handlerEnv?: Record<string, string>;
  /** Lambda async invocations are retried twice; the local stack does the same. */
  retryDelaysMs?: number[];
  /**
   * Seconds between SLA scans (EventBridge runs it every minute on AWS; `npm start` reads SLA_SCAN_INTERVAL,
   * default 60). Without it the stack runs no scan by itself: `scanSla()` runs one.
   */
  slaScanIntervalSeconds?: number;
  /** A DynamoDB already running (one shared by many test stacks) instead of starting DynamoDB Local. */
  dynamoEndpoint?: string;
  /** An S3 server already running instead of starting one; the raw-mail bucket is created there. */
  s3Endpoint?: string;
  /** Defaults to `concierge-local`; stacks sharing one DynamoDB keep apart by table. */
  tableName?: string;
  /** Defaults to `concierge-raw-mail`; stacks sharing one S3 server keep apart by bucket. */
  rawMailBucket?: string;
  /**
   * How long after a send to a mailbox-simulator address its bounce or complaint reaches `feedback`
   * (SES takes a moment too); default 100 ms. `feedbackDelivered()` waits for it, whatever the delay.
   */
  feedbackDelayMs?: number;
  /** A stand-in died and could not be brought back: this stack can no longer do its work. */
  onFatal?: (error: Error) => void;
  log?: (line: string) => void;
}

export interface LocalStack {
  smtpPort: number;
  apiUrl: string;
  mailboxUrl: string;
  s3Endpoint: string;
  dynamoEndpoint: string;
  outboxDir: string;
  deadLetterDir: string;
  tableName: string;
  rawMailBucket: string;
  rawMailPrefix: string;
  supportAddress: string;
  /** Invokes `inbound` exactly as the SMTP receiver does; resolves when that invocation (and its retries) ends. */
  invokeInbound(event: SesReceiptEvent): Promise<unknown>;
  /** Resolves once every invocation in flight has finished. */
  idle(): Promise<void>;
  /** Runs the SLA scan handler once, as the schedule does. */
  scanSla(): Promise<unknown>;
  /** Invokes `feedback` with an SNS event, as the feedback topic's subscription does (retried like Lambda). */
  invokeFeedback(event: unknown): Promise<unknown>;
  /** Resolves once every bounce and complaint the mailbox simulator produced so far has been handled. */
  feedbackDelivered(): Promise<void>;
  /** Asks each stand-in whether it answers; the local `/health` serves this. */
  health(): Promise<HealthReport>;
  /** DynamoDB Local's Java process, when this stack started it. */
  dynamoPid(): number | undefined;
  stop(): Promise<void>;
}

export const LOCAL_TABLE_NAME = 'concierge-local';
export const LOCAL_RAW_MAIL_BUCKET = 'concierge-raw-mail';
export const DEFAULT_SUPPORT_ADDRESS = 'support@concierge.test';
export const LOCAL_ACCESS_KEY = 'S3RVER';

export { freePort };

/** DynamoDB Local is restarted after it dies at most this many times before the stack gives up. */
const MAX_DYNAMODB_RESTARTS = 5;

/** The signing secret for reply addresses: kept in DATA_DIR so addresses stay valid across restarts. */
function replyTokenSecret(dataDir: string): string {
  const file = join(dataDir, 'reply-token-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

const splitList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);

export function verdictRulesFromEnv(env: NodeJS.ProcessEnv): LocalVerdictRules {
  return {
    failAuthDomains: splitList(env.LOCAL_FAIL_AUTH_DOMAINS),
    noDmarcDomains: splitList(env.LOCAL_NO_DMARC_DOMAINS),
    spamDomains: splitList(env.LOCAL_SPAM_DOMAINS),
    virusDomains: splitList(env.LOCAL_VIRUS_DOMAINS),
  };
}

/** One line on what became of a message, for the stack's log. */
export function describeOutcome(result: unknown): string {
  const r = (result ?? {}) as Record<string, unknown>;
  switch (r.outcome) {
    case 'ticket-created':
      return `opened ticket [#${String(r.ref)}] (${String(r.ticketId)}); acknowledgement ${String(r.acknowledgement)}`;
    case 'follow-up':
      return `joined ticket ${String(r.ticketId)}`;
    case 'duplicate':
      return `duplicate of ${String(r.of)}: nothing new stored${r.acknowledgement ? `; acknowledgement ${String(r.acknowledgement)}` : ''}`;
    case 'discarded':
      return `discarded: ${String(r.reason)}`;
    case 'quarantined':
      return `quarantined: ${String(r.reason)}`;
    default:
      return `finished: ${JSON.stringify(result)}`;
  }
}

/**
 * Starts the whole desk on 127.0.0.1: DynamoDB Local, an S3 server, the SES stand-in, the SMTP receiver
 * that plays SES receiving, and the API. The handlers are the deployed ones; only endpoints differ.
 * DynamoDB Local is watched: when it dies it is restarted on the same port with the same data, and when
 * that fails `onFatal` says so.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const region = options.region ?? 'us-east-1';
  const supportAddress = (options.supportAddress ?? DEFAULT_SUPPORT_ADDRESS).toLowerCase();
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  const rawMailBucket = options.rawMailBucket ?? LOCAL_RAW_MAIL_BUCKET;
  const outboxDir = join(dataDir, 'outbox');
  const deadLetterDir = join(dataDir, 'dead-letters');
  mkdirSync(deadLetterDir, { recursive: true });
  const lock = await claimDataDir(dataDir, log);
  // Stopped last-started first, so nothing is called after the service it needs has gone.
  const stoppers: Array<() => Promise<void>> = [];
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    for (const stop of [...stoppers].reverse()) await stop().catch(() => undefined);
    lock.release();
  };

  try {
    const dynamoDataDir = options.inMemoryDatabase ? undefined : join(dataDir, 'dynamodb');
    let dynamo: DynamoDbLocal | undefined;
    let dynamoEndpoint: string;
    // Settles when DynamoDB is up again after a restart; deliveries wait on it rather than fail.
    let dynamoBack: Promise<void> = Promise.resolve();
    let dynamoRestarting = false;
    if (options.dynamoEndpoint) {
      dynamoEndpoint = options.dynamoEndpoint;
    } else {
      dynamo = await startDynamoDbLocal({ ...(options.dynamoPort ? { port: options.dynamoPort } : {}), ...(dynamoDataDir ? { dataDir: dynamoDataDir } : {}) });
      dynamoEndpoint = dynamo.endpoint;
      if (dynamo.process.pid !== undefined) lock.recordJava(dynamo.process.pid, dynamo.command);
      stoppers.push(async () => {
        await dynamoBack.catch(() => undefined);
        await dynamo?.stop();
      });
      let restarts = 0;
      const supervise = (instance: DynamoDbLocal) => {
        void instance.exited.then(({ code, signal }) => {
          if (stopped) return;
          restarts += 1;
          dynamoRestarting = true;
          const how = signal ?? `exit code ${code}`;
          log(`DynamoDB Local (pid ${instance.process.pid}) died (${how}); restarting it on port ${instance.port} with the same data`);
          dynamoBack = (async () => {
            if (restarts > MAX_DYNAMODB_RESTARTS) throw new Error(`it died ${restarts} times`);
            const next = await startDynamoDbLocal({ port: instance.port, ...(dynamoDataDir ? { dataDir: dynamoDataDir } : {}) });
            dynamo = next;
            if (stopped) return next.stop();
            if (next.process.pid !== undefined) lock.recordJava(next.process.pid, next.command);
            // In memory, the table went with the process.
            await ensureTable(next.endpoint, tableName);
            dynamoRestarting = false;
            log(`DynamoDB Local is back (pid ${next.process.pid})`);
            supervise(next);
          })();
          dynamoBack.catch((error: unknown) => {
            dynamoRestarting = false;
            if (stopped) return;
            const message = `DynamoDB Local died (${how}) and could not be restarted on port ${instance.port}: ${error instanceof Error ? error.message : String(error)}`;
            log(message);
            options.onFatal?.(new Error(message));
          });
        });
      };
      supervise(dynamo);
    }
    await ensureTable(dynamoEndpoint, tableName);

    let s3Endpoint: string;
    if (options.s3Endpoint) {
      s3Endpoint = options.s3Endpoint;
    } else {
      const s3 = await startLocalS3({ port: options.s3Port ?? 0, directory: join(dataDir, 's3'), buckets: [rawMailBucket] });
      stoppers.push(() => s3.stop());
      s3Endpoint = s3.endpoint;
    }
    const s3Client = new S3Client({
      region,
      forcePathStyle: true,
      endpoint: s3Endpoint,
      credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY },
    });
    if (options.s3Endpoint) {
      await s3Client.send(new CreateBucketCommand({ Bucket: rawMailBucket })).catch((error: unknown) => {
        if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
      });
    }

    // Set once the handlers are loaded; the SES stand-in tells it of every accepted message.
    let simulateFeedback: ((envelope: LocalSesEnvelope) => void) | undefined;
    const ses = await startLocalSesEndpoint({ port: options.sesPort ?? 0, outboxDir, region, onAccepted: (envelope) => simulateFeedback?.(envelope) });
    stoppers.push(() => ses.close());

    // The handlers read their configuration from the environment at import, exactly as on Lambda.
    Object.assign(process.env, {
      AWS_REGION: region,
      // s3rver accepts only its own fixed key pair; the other stand-ins accept any.
      AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY,
      AWS_SESSION_TOKEN: '',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_ENDPOINT_URL_SES: ses.url,
      S3_FORCE_PATH_STYLE: 'true',
      TABLE_NAME: tableName,
      RAW_MAIL_BUCKET: rawMailBucket,
      SUPPORT_ADDRESS: supportAddress,
      REPLY_TOKEN_SECRET: process.env.REPLY_TOKEN_SECRET ?? replyTokenSecret(dataDir),
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // Locally on Node 20: the locked SDK versions support it; Lambda runs Node 24.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.handlerEnv,
    });
    const inbound = (await import('../../functions/inbound/handler')).handler as unknown as (event: unknown, context: Context) => Promise<unknown>;
    const api = (await import('../../functions/api/handler')).handler as unknown as (
      event: APIGatewayProxyEvent,
      context: Context,
    ) => Promise<APIGatewayProxyResult>;

    const slaScan = (await import('../../functions/sla/scan-handler')).handler as unknown as (event: unknown, context: Context) => Promise<unknown>;

    const rawMailPrefix = process.env.RAW_MAIL_PREFIX ?? 'inbound/';
    const inFlight = new Set<Promise<unknown>>();
    const retryDelays = options.retryDelaysMs ?? [1_000, 2_000];

    const invokeInbound = (event: SesReceiptEvent): Promise<unknown> => {
      const sesMessageId = event.Records[0]?.ses.mail.messageId ?? 'unknown';
      const run = (async () => {
        for (let attempt = 0; ; attempt += 1) {
          // A delivery that arrives while DynamoDB Local restarts waits for it instead of spending its retries.
          await dynamoBack.catch(() => undefined);
          try {
            const result = await inbound(event, lambdaContext('concierge-inbound'));
            const results = (result as { results?: unknown[] } | undefined)?.results ?? [];
            for (const each of results) log(`${sesMessageId}: ${describeOutcome(each)}`);
            return result;
          } catch (error) {
            const delay = retryDelays[attempt];
            if (delay === undefined) {
              // Where Lambda would send the event to the dead-letter queue.
              writeFileSync(join(deadLetterDir, `${sesMessageId}.json`), JSON.stringify({ event, error: String(error) }, null, 2));
              log(`${sesMessageId}: failed after ${attempt + 1} attempts: ${String(error)} (event kept in ${deadLetterDir})`);
              return undefined;
            }
            log(`${sesMessageId}: attempt ${attempt + 1} failed (${String(error)}); retrying`);
            await new Promise((wake) => setTimeout(wake, delay));
          }
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
      return run;
    };

    const feedback = (await import('../../functions/feedback/handler')).handler as unknown as (event: unknown, context: Context) => Promise<unknown>;
    const feedbackInFlight = new Set<Promise<unknown>>();
    const invokeFeedback = (event: unknown): Promise<unknown> => {
      const messageId = (event as { Records?: Array<{ Sns?: { MessageId?: string } }> }).Records?.[0]?.Sns?.MessageId ?? 'unknown';
      const run = (async () => {
        for (let attempt = 0; ; attempt += 1) {
          await dynamoBack.catch(() => undefined);
          try {
            const result = (await feedback(event, lambdaContext('concierge-feedback'))) as { results?: Array<Record<string, unknown>> } | undefined;
            for (const each of result?.results ?? []) log(`feedback ${messageId}: ${String(each.outcome)}${each.kind ? ` (${String(each.kind)})` : ''}${each.reason ? `: ${String(each.reason)}` : ''}`);
            return result;
          } catch (error) {
            const delay = retryDelays[attempt];
            if (delay === undefined) {
              // Where Lambda would hand the event to the function's on-failure queue.
              writeFileSync(join(deadLetterDir, `feedback-${messageId}.json`), JSON.stringify({ event, error: String(error) }, null, 2));
              log(`feedback ${messageId}: failed after ${attempt + 1} attempts: ${String(error)} (event kept in ${deadLetterDir})`);
              return undefined;
            }
            await new Promise((wake) => setTimeout(wake, delay));
          }
        }
      })();
      inFlight.add(run);
      feedbackInFlight.add(run);
      void run.finally(() => {
        inFlight.delete(run);
        feedbackInFlight.delete(run);
      });
      return run;
    };
    // Like SES: the bounce or complaint comes shortly after the send, not within it.
    const feedbackDelayMs = options.feedbackDelayMs ?? 100;
    simulateFeedback = (envelope) => {
      for (const event of simulatedFeedback(envelope, new Date())) {
        const run = new Promise((wake) => setTimeout(wake, feedbackDelayMs)).then(() => invokeFeedback(event));
        inFlight.add(run);
        feedbackInFlight.add(run);
        void run.finally(() => {
          inFlight.delete(run);
          feedbackInFlight.delete(run);
        });
      }
    };

    let smtpPort = 0;
    const health = async (): Promise<HealthReport> => {
      const dynamodb: Promise<StandInHealth> = dynamoRestarting
        ? Promise.resolve({ status: 'restarting', endpoint: dynamoEndpoint })
        : probeDynamoDb(dynamoEndpoint);
      const [dynamoHealth, s3Health, sesHealth, smtpHealth] = await Promise.all([
        dynamodb,
        probeS3(s3Endpoint, rawMailBucket, LOCAL_ACCESS_KEY),
        probeTcp(ses.url, ses.port),
        probeTcp(`smtp://127.0.0.1:${smtpPort}`, smtpPort, '220'),
      ]);
      return summarise({ dynamodb: dynamoHealth, s3: s3Health, ses: sesHealth, smtp: smtpHealth });
    };

    const apiServer = await startApiServer({ port: options.apiPort, handler: api, health });
    stoppers.push(() => apiServer.stop());
    stoppers.push(async () => {
      await Promise.allSettled([...inFlight]);
      s3Client.destroy();
    });

    const [supportLocal, supportDomain] = supportAddress.split('@') as [string, string];
    const smtp = await startSmtpReceiver({
      port: options.smtpPort,
      region,
      acceptRecipients: (address) => address === supportAddress || (address.startsWith(`${supportLocal}+`) && address.endsWith(`@${supportDomain}`)),
      verdicts: { ...verdictRulesFromEnv(process.env), ...options.verdictRules },
      storeRaw: async (sesMessageId, raw) => {
        await s3Client.send(new PutObjectCommand({ Bucket: rawMailBucket, Key: `${rawMailPrefix}${sesMessageId}`, Body: raw }));
      },
      deliver: (event) => {
        log(`received ${event.Records[0]?.ses.mail.messageId} from <${event.Records[0]?.ses.mail.source}>`);
        void invokeInbound(event);
      },
    });
    stoppers.push(() => smtp.stop());
    smtpPort = smtp.port;

    const scanSla = async (): Promise<unknown> => {
      await dynamoBack.catch(() => undefined);
      const summary = await slaScan({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('concierge-sla-scan'));
      const acted = summary as { warnings?: number; breaches?: number; deferred?: number } | undefined;
      if (acted && ((acted.warnings ?? 0) > 0 || (acted.breaches ?? 0) > 0 || (acted.deferred ?? 0) > 0)) {
        log(`sla scan: ${acted.warnings ?? 0} warning(s), ${acted.breaches ?? 0} breach(es) escalated, ${acted.deferred ?? 0} ticket(s) left for the next scan`);
      }
      return summary;
    };
    if (options.slaScanIntervalSeconds !== undefined) {
      // One run after another (the next starts when the last has ended), as often as asked; a failed run is
      // logged and the next one tries again, like the next minute's run on AWS.
      let timer: NodeJS.Timeout | undefined;
      let scanStopped = false;
      let running: Promise<unknown> = Promise.resolve();
      const schedule = () => {
        timer = setTimeout(() => {
          running = scanSla()
            .catch((error: unknown) => log(`sla scan failed: ${String(error)}`))
            .finally(() => {
              if (!scanStopped) schedule();
            });
        }, options.slaScanIntervalSeconds! * 1000);
        timer.unref();
      };
      schedule();
      stoppers.push(async () => {
        scanStopped = true;
        if (timer) clearTimeout(timer);
        await running;
      });
    }

    return {
      smtpPort: smtp.port,
      apiUrl: `http://127.0.0.1:${apiServer.port}`,
      mailboxUrl: ses.url,
      s3Endpoint,
      dynamoEndpoint,
      outboxDir,
      deadLetterDir,
      tableName,
      rawMailBucket,
      rawMailPrefix,
      supportAddress,
      invokeInbound,
      async idle() {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      },
      scanSla,
      invokeFeedback,
      async feedbackDelivered() {
        while (feedbackInFlight.size > 0) await Promise.allSettled([...feedbackInFlight]);
      },
      health,
      dynamoPid: () => dynamo?.process.pid,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
