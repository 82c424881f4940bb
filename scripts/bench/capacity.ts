/**
 * Cost per message: AWS requests and DynamoDB request units, billed by AWS's rules (`billing.ts`).
 *
 * This calls `receiveMessage`, the use case the `inbound` handler calls for each record of its SES event,
 * with dependencies built as the handler builds them (`inboundDependencies` below, the one place to follow
 * when their shape changes) and the same configuration (`loadInboundConfig()` over the environment the local
 * stack set). Its DynamoDB, S3 and SES clients carry the meter (`meter.ts`); nothing else differs. Writing
 * the raw message into S3 is the SES S3 action's part and is not counted.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readSecret } from '../../functions/commons/clients/secrets';
import { loadInboundConfig, type InboundConfig } from '../../functions/commons/config';
import { S3RawMailStore } from '../../functions/inbound/raw-mail-store';
import { receiveMessage, type InboundDependencies, type InboundResult } from '../../functions/inbound/receive-message';
import { SesMailSender } from '../../functions/outbound/ses-mail-sender';
import { SuppressionCheckingMailSender } from '../../functions/outbound/suppression-guard';
import { DynamoSuppressionStore } from '../../functions/adapters/dynamodb/suppressions';
import { DynamoRosterStore } from '../../functions/adapters/dynamodb/roster';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import type { TestStack } from '../../tests/helpers/local-stack';
import { LOCAL_ACCESS_KEY } from '../local/stack';
import { envelopeSource, followUpMessage, newCustomerMessage, withFreshMessageId } from './corpus';
import type { TableDefinition } from './billing';
import { AwsMeter, type MeteredCall } from './meter';
import { mean } from './stats';
import { outcomeLabel } from './throughput';

export type MessageKind = 'newTicket' | 'followUp' | 'bounce' | 'vipTicket';
export const MESSAGE_KINDS: readonly MessageKind[] = ['newTicket', 'followUp', 'bounce', 'vipTicket'];
export const MESSAGE_KIND_LABELS: Readonly<Record<MessageKind, string>> = {
  newTicket: 'new ticket (incl. acknowledgement)',
  followUp: 'follow-up to the acknowledgement',
  bounce: 'bounce (sisimai bsd sample)',
  vipTicket: "routed VIP ticket (+ manager's notification)",
};

/** One metered message. */
export interface CostSample {
  result: InboundResult;
  calls: MeteredCall[];
}

/** Per-message means over the samples of one kind. */
export interface CostRow {
  kind: MessageKind;
  samples: number;
  /** Outcomes seen, with counts (every sample should have the expected one). */
  outcomes: Map<string, number>;
  requests: number;
  writeUnits: number;
  writeUnitsMax: number;
  readUnits: number;
  /** What DynamoDB Local reported for the same requests. */
  reportedWriteUnits: number;
  reportedReadUnits: number;
  /** `Service.Operation` → calls, write and read units per message, in the order the use case first made them. */
  operations: Array<{ name: string; calls: number; writeUnits: number; readUnits: number }>;
  /** `ENTITY → index write` → times per message. */
  indexWrites: Array<{ name: string; perMessage: number }>;
}

export interface CostBench {
  /** For the bench's own housekeeping; metered only while a message is measured. */
  documentClient: DynamoDBDocumentClient;
  /** Unmetered look-up of the acknowledgement a ticket's customer received, as their client would see it. */
  acknowledgementOf(ticketId: string): Promise<{ messageId: string; subject: string } | undefined>;
  run(samples: number, bounceFiles: readonly string[], onProgress: (line: string) => void): Promise<CostRow[]>;
  /** The keys and index projections the bill used, read from the live table. */
  tables(): Promise<Map<string, TableDefinition>>;
  close(): void;
}

/** The SDK clients the use case is given; each one is metered. */
interface BenchClients {
  documentClient: DynamoDBDocumentClient;
  s3: S3Client;
  ses: SESClient;
}

/**
 * `receiveMessage`'s dependencies, as `functions/inbound/handler.ts` builds them, over the bench's clients.
 * When the use case's dependency shape changes, this function is the one place to follow it.
 */
function inboundDependencies(clients: BenchClients, config: InboundConfig, replyTokenSecret: string): InboundDependencies {
  return {
    store: new DynamoTicketStore(clients.documentClient, config.tableName),
    roster: new DynamoRosterStore(clients.documentClient, config.tableName),
    rawMail: new S3RawMailStore(clients.s3, config.rawMailBucket),
    mailSender: new SuppressionCheckingMailSender(new SesMailSender(clients.ses, config.sesConfigurationSet), new DynamoSuppressionStore(clients.documentClient, config.tableName)),
    suppressions: new DynamoSuppressionStore(clients.documentClient, config.tableName),
    settings: { ...config, replyTokenSecret },
  };
}

export async function createCostBench(stack: TestStack): Promise<CostBench> {
  const config = loadInboundConfig();
  // As the handler does: the local stack sets the secret itself; on AWS it would name a Secrets Manager secret.
  const replyTokenSecret = 'value' in config.replyTokenSecret ? config.replyTokenSecret.value : await readSecret(config.replyTokenSecret.secretArn);
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  const sesEndpoint = process.env.AWS_ENDPOINT_URL_SES;
  if (!sesEndpoint) throw new Error('AWS_ENDPOINT_URL_SES is not set: start the local stack first');

  const reference = new DynamoDBClient({ region: config.region, endpoint: stack.dynamoEndpoint, credentials });
  const clients: BenchClients = {
    // As createDocumentClient() in functions/commons/clients/dynamodb.ts, with the endpoint spelled out.
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.region, endpoint: stack.dynamoEndpoint, credentials }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    s3: new S3Client({ region: config.region, endpoint: stack.s3Endpoint, forcePathStyle: true, credentials }),
    ses: new SESClient({ region: config.region, endpoint: sesEndpoint, credentials }),
  };
  // Every client the use case is given is metered; a document client shares its base client's stack.
  const meter = new AwsMeter(reference);
  for (const client of Object.values(clients)) meter.attach(client);
  const dependencies = inboundDependencies(clients, config, replyTokenSecret);
  const lookups = new DynamoTicketStore(clients.documentClient, config.tableName);

  const measure = async (kind: MessageKind, raw: Buffer, source: string): Promise<CostSample> => {
    const sesMessageId = randomBytes(20).toString('hex');
    await clients.s3.send(new PutObjectCommand({ Bucket: config.rawMailBucket, Key: `${config.rawMailPrefix}${sesMessageId}`, Body: raw }));
    meter.take();
    meter.recording = true;
    try {
      const result = await receiveMessage(
        {
          sesMessageId,
          envelopeSender: source,
          recipients: [config.supportAddress],
          verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
          receivedAt: new Date().toISOString(),
        },
        dependencies,
      );
      return { result, calls: meter.take() };
    } catch (error) {
      throw new Error(`${MESSAGE_KIND_LABELS[kind]}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      meter.recording = false;
    }
  };

  const acknowledgementOf = async (ticketId: string) => {
    const ack = (await lookups.listMessages(ticketId)).find((message) => message.direction === 'outbound');
    return ack ? { messageId: ack.messageId, subject: ack.subject } : undefined;
  };

  return {
    documentClient: clients.documentClient,
    acknowledgementOf,
    async run(samples, bounceFiles, onProgress) {
      const measured: Record<MessageKind, CostSample[]> = { newTicket: [], followUp: [], bounce: [], vipTicket: [] };
      // A roster of one manager (and the manager's backup) for the routed VIP tickets; set up unmetered. The
      // plain tickets see it too: routing reads it in the batch they make anyway, and finds no agent to assign.
      const roster = new DynamoRosterStore(clients.documentClient, config.tableName);
      const tag = randomBytes(3).toString('hex');
      const backup = await roster.createStaff({ name: 'Bench Backup', email: `backup.${tag}@staff.example`, role: 'manager', status: 'active' });
      const manager = await roster.createStaff({ name: 'Bench Manager', email: `manager.${tag}@staff.example`, role: 'manager', status: 'active', backupId: backup.id });
      for (let index = 0; index < samples; index += 1) {
        const customer = `cost.${index}.${randomBytes(3).toString('hex')}@customer.example`;
        const opening = newCustomerMessage(customer, index, 'cost');
        const first = await measure('newTicket', opening.raw, customer);
        measured.newTicket.push(first);
        if (first.result.outcome === 'ticket-created') {
          const ack = await acknowledgementOf(first.result.ticketId);
          if (ack) {
            const reply = followUpMessage({ customer, customerMessageId: `<new.cost.${index}@client.example>`, ackMessageId: ack.messageId, ackSubject: ack.subject }, index, 'cost');
            measured.followUp.push(await measure('followUp', reply.raw, customer));
          }
        }
        const bounceFile = bounceFiles[Math.floor((index * bounceFiles.length) / samples)];
        if (bounceFile) {
          const raw = withFreshMessageId(readFileSync(bounceFile), `<bounce.cost.${index}.${randomBytes(3).toString('hex')}@bench.invalid>`);
          measured.bounce.push(await measure('bounce', raw, envelopeSource(raw)));
        }
        // A VIP client of the manager writes: routed to the manager, who is notified; the client acknowledged.
        const vip = `vip.${index}.${randomBytes(3).toString('hex')}@client.example`;
        await roster.putCustomer(vip, { tier: 'vip', managerId: manager.id, language: 'en', antiPhishingCode: `BENCH_${index}` }, 'bench');
        measured.vipTicket.push(await measure('vipTicket', newCustomerMessage(vip, index, 'cost-vip').raw, vip));
        if ((index + 1) % 5 === 0 || index + 1 === samples) onProgress(`cost: ${index + 1}/${samples} samples`);
      }
      return MESSAGE_KINDS.filter((kind) => measured[kind].length > 0).map((kind) => costRow(kind, measured[kind]));
    },
    tables: () => meter.tableDefinitions(),
    close() {
      for (const client of Object.values(clients)) client.destroy();
      reference.destroy();
    },
  };
}

/** Sums the metered calls of each sample and averages them per message. */
export function costRow(kind: MessageKind, samples: readonly CostSample[]): CostRow {
  const outcomes = new Map<string, number>();
  const operations = new Map<string, { calls: number; writeUnits: number; readUnits: number }>();
  const indexWrites = new Map<string, number>();
  const perSample = samples.map(({ result, calls }) => {
    const label = outcomeLabel(result);
    outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    for (const call of calls) {
      const name = `${call.service}.${call.operation}${call.failed ? ` (${call.failed})` : ''}`;
      const entry = operations.get(name) ?? { calls: 0, writeUnits: 0, readUnits: 0 };
      entry.calls += 1;
      entry.writeUnits += call.writeUnits;
      entry.readUnits += call.readUnits;
      operations.set(name, entry);
      for (const write of call.indexWrites) indexWrites.set(write, (indexWrites.get(write) ?? 0) + 1);
    }
    const sum = (pick: (call: MeteredCall) => number) => calls.reduce((total, call) => total + pick(call), 0);
    return {
      requests: calls.length,
      write: sum((call) => call.writeUnits),
      read: sum((call) => call.readUnits),
      reportedWrite: sum((call) => call.reportedWriteUnits),
      reportedRead: sum((call) => call.reportedReadUnits),
    };
  });
  const count = samples.length;
  return {
    kind,
    samples: count,
    outcomes,
    requests: mean(perSample.map((sample) => sample.requests)),
    writeUnits: mean(perSample.map((sample) => sample.write)),
    writeUnitsMax: Math.max(...perSample.map((sample) => sample.write)),
    readUnits: mean(perSample.map((sample) => sample.read)),
    reportedWriteUnits: mean(perSample.map((sample) => sample.reportedWrite)),
    reportedReadUnits: mean(perSample.map((sample) => sample.reportedRead)),
    operations: [...operations.entries()].map(([name, entry]) => ({ name, calls: entry.calls / count, writeUnits: entry.writeUnits / count, readUnits: entry.readUnits / count })),
    indexWrites: [...indexWrites.entries()].map(([name, times]) => ({ name, perMessage: times / count })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}
