import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { SesReceiptEvent } from '../../functions/inbound/ses-event';
import { startApiServer, lambdaContext } from './api-server';
import { ensureTable, startDynamoDbLocal } from './dynamodb-local';
import { startLocalS3 } from './s3-server';
import { startLocalSesEndpoint } from './ses/server';
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
  stop(): Promise<void>;
}

export const LOCAL_TABLE_NAME = 'concierge-local';
export const LOCAL_RAW_MAIL_BUCKET = 'concierge-raw-mail';
export const DEFAULT_SUPPORT_ADDRESS = 'support@concierge.test';
export const LOCAL_ACCESS_KEY = 'S3RVER';

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

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

/**
 * Starts the whole desk on 127.0.0.1: DynamoDB Local, an S3 server, the SES stand-in, the SMTP receiver
 * that plays SES receiving, and the API. The handlers are the deployed ones; only endpoints differ.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const region = options.region ?? 'us-east-1';
  const supportAddress = (options.supportAddress ?? DEFAULT_SUPPORT_ADDRESS).toLowerCase();
  const outboxDir = join(dataDir, 'outbox');
  const deadLetterDir = join(dataDir, 'dead-letters');
  mkdirSync(deadLetterDir, { recursive: true });
  // Stopped last-started first, so nothing is called after the service it needs has gone.
  const stoppers: Array<() => Promise<void>> = [];
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    for (const stop of [...stoppers].reverse()) await stop().catch(() => undefined);
  };

  try {
    const dynamo = await startDynamoDbLocal({
      port: options.dynamoPort || (await freePort()),
      ...(options.inMemoryDatabase ? {} : { dataDir: join(dataDir, 'dynamodb') }),
    });
    stoppers.push(() => dynamo.stop());
    await ensureTable(dynamo.endpoint, LOCAL_TABLE_NAME);

    const s3 = await startLocalS3({ port: options.s3Port ?? 0, directory: join(dataDir, 's3'), buckets: [LOCAL_RAW_MAIL_BUCKET] });
    stoppers.push(() => s3.stop());

    const ses = await startLocalSesEndpoint({ port: options.sesPort ?? 0, outboxDir, region });
    stoppers.push(() => ses.close());

    // The handlers read their configuration from the environment at import, exactly as on Lambda.
    Object.assign(process.env, {
      AWS_REGION: region,
      // s3rver accepts only its own fixed key pair; the other stand-ins accept any.
      AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY,
      AWS_SESSION_TOKEN: '',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SES: ses.url,
      S3_FORCE_PATH_STYLE: 'true',
      TABLE_NAME: LOCAL_TABLE_NAME,
      RAW_MAIL_BUCKET: LOCAL_RAW_MAIL_BUCKET,
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

    const s3Client = new S3Client({ region, forcePathStyle: true, endpoint: s3.endpoint });
    const rawMailPrefix = process.env.RAW_MAIL_PREFIX ?? 'inbound/';
    const inFlight = new Set<Promise<unknown>>();
    const retryDelays = options.retryDelaysMs ?? [1_000, 2_000];

    const invokeInbound = (event: SesReceiptEvent): Promise<unknown> => {
      const sesMessageId = event.Records[0]?.ses.mail.messageId ?? 'unknown';
      const run = (async () => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            return await inbound(event, lambdaContext('concierge-inbound'));
          } catch (error) {
            const delay = retryDelays[attempt];
            if (delay === undefined) {
              // Where Lambda would send the event to the dead-letter queue.
              writeFileSync(join(deadLetterDir, `${sesMessageId}.json`), JSON.stringify({ event, error: String(error) }, null, 2));
              log(`inbound failed for ${sesMessageId} after ${attempt + 1} attempts: ${String(error)} (event kept in ${deadLetterDir})`);
              return undefined;
            }
            await new Promise((wake) => setTimeout(wake, delay));
          }
        }
      })();
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
      return run;
    };

    const apiServer = await startApiServer({ port: options.apiPort, handler: api });
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
        await s3Client.send(new PutObjectCommand({ Bucket: LOCAL_RAW_MAIL_BUCKET, Key: `${rawMailPrefix}${sesMessageId}`, Body: raw }));
      },
      deliver: (event) => {
        log(`received ${event.Records[0]?.ses.mail.messageId} from <${event.Records[0]?.ses.mail.source}>`);
        void invokeInbound(event);
      },
    });
    stoppers.push(() => smtp.stop());


    return {
      smtpPort: smtp.port,
      apiUrl: `http://127.0.0.1:${apiServer.port}`,
      mailboxUrl: ses.url,
      s3Endpoint: s3.endpoint,
      dynamoEndpoint: dynamo.endpoint,
      outboxDir,
      deadLetterDir,
      tableName: LOCAL_TABLE_NAME,
      rawMailBucket: LOCAL_RAW_MAIL_BUCKET,
      rawMailPrefix,
      supportAddress,
      invokeInbound,
      async idle() {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
