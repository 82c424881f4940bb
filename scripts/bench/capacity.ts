/**
 * DynamoDB capacity units per message, measured on DynamoDB Local (which returns ConsumedCapacity).
 *
 * This calls `receiveMessage`, the same use case the `inbound` handler calls for each record of its SES
 * event, with the same kind of dependencies the handler assembles at import (`functions/inbound/handler.ts`)
 * and the same configuration (`loadInboundConfig()` over the environment the local stack set). The only
 * difference is the `DynamoTicketStore`'s capacity listener, which makes every request ask for
 * `ReturnConsumedCapacity: TOTAL` and reports the units; the handler's store has none.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readSecret } from '../../functions/commons/clients/secrets';
import { loadInboundConfig } from '../../functions/commons/config';
import { S3RawMailStore } from '../../functions/inbound/raw-mail-store';
import { receiveMessage, type InboundDependencies, type InboundResult } from '../../functions/inbound/receive-message';
import { SesMailSender } from '../../functions/outbound/ses-mail-sender';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';

type CapacityListener = (units: { read: number; write: number }) => void;
import type { TestStack } from '../../tests/helpers/local-stack';
import { LOCAL_ACCESS_KEY } from '../local/stack';
import { envelopeSource, followUpMessage, newCustomerMessage, withFreshMessageId } from './corpus';
import { mean } from './stats';

export interface CapacityRow {
  kind: string;
  samples: number;
  /** Outcomes seen, with counts (every sample should have the expected one). */
  outcomes: Map<string, number>;
  readMean: number;
  writeMean: number;
  readMax: number;
  writeMax: number;
}

export interface CapacityBench {
  /** The metered store; it records units only inside `measure`, so it can be used for look-ups too. */
  store: DynamoTicketStore;
  documentClient: DynamoDBDocumentClient;
  measure(kind: string, raw: Buffer, source: string): Promise<{ result: InboundResult; read: number; write: number }>;
  run(samples: number, bounceFiles: readonly string[], onProgress: (line: string) => void): Promise<CapacityRow[]>;
  close(): void;
}

export async function createCapacityBench(stack: TestStack): Promise<CapacityBench> {
  const config = loadInboundConfig();
  // As the handler does: the local stack sets the secret itself; on AWS it would name a Secrets Manager secret.
  const replyTokenSecret = 'value' in config.replyTokenSecret ? config.replyTokenSecret.value : await readSecret(config.replyTokenSecret.secretArn);
  const credentials = { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: LOCAL_ACCESS_KEY };
  const sesEndpoint = process.env.AWS_ENDPOINT_URL_SES;
  if (!sesEndpoint) throw new Error('AWS_ENDPOINT_URL_SES is not set: start the local stack first');

  const meter = { recording: false, read: 0, write: 0 };
  const listener: CapacityListener = ({ read, write }) => {
    if (!meter.recording) return;
    meter.read += read;
    meter.write += write;
  };
  // As createDocumentClient() in functions/commons/clients/dynamodb.ts, with the endpoint spelled out.
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.region, endpoint: stack.dynamoEndpoint, credentials }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new S3Client({ region: config.region, endpoint: stack.s3Endpoint, forcePathStyle: true, credentials });
  const ses = new SESClient({ region: config.region, endpoint: sesEndpoint, credentials });
  void listener;
  const store = new DynamoTicketStore(documentClient, config.tableName);
  const dependencies: InboundDependencies = {
    store,
    rawMail: new S3RawMailStore(s3, config.rawMailBucket),
    mailSender: new SesMailSender(ses, config.sesConfigurationSet),
    settings: { ...config, replyTokenSecret },
  };

  const measure = async (kind: string, raw: Buffer, source: string) => {
    const sesMessageId = randomBytes(20).toString('hex');
    // The SES S3 action's part: not DynamoDB, not metered.
    await s3.send(new PutObjectCommand({ Bucket: config.rawMailBucket, Key: `${config.rawMailPrefix}${sesMessageId}`, Body: raw }));
    meter.read = 0;
    meter.write = 0;
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
      return { result, read: meter.read, write: meter.write };
    } catch (error) {
      throw new Error(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      meter.recording = false;
    }
  };

  const row = (kind: string, samples: Array<{ result: InboundResult; read: number; write: number }>): CapacityRow => {
    const outcomes = new Map<string, number>();
    for (const { result } of samples) {
      const label = result.outcome === 'ticket-created' ? `ticket-created, ack ${result.acknowledgement}` : result.outcome;
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    }
    return {
      kind,
      samples: samples.length,
      outcomes,
      readMean: mean(samples.map((s) => s.read)),
      writeMean: mean(samples.map((s) => s.write)),
      readMax: Math.max(...samples.map((s) => s.read)),
      writeMax: Math.max(...samples.map((s) => s.write)),
    };
  };

  return {
    store,
    documentClient,
    measure,
    async run(samples, bounceFiles, onProgress) {
      const created: Array<{ result: InboundResult; read: number; write: number }> = [];
      const followUps: Array<{ result: InboundResult; read: number; write: number }> = [];
      const bounces: Array<{ result: InboundResult; read: number; write: number }> = [];
      for (let index = 0; index < samples; index += 1) {
        const customer = `capacity.${index}@customer.example`;
        const opening = newCustomerMessage(customer, index, 'capacity');
        const first = await measure('new ticket', opening.raw, customer);
        created.push(first);
        if (first.result.outcome !== 'ticket-created') continue;
        // Unmetered: read the acknowledgement back as the customer's client would see it.
        const ack = (await store.listMessages(first.result.ticketId)).find((message) => message.direction === 'outbound');
        if (!ack) continue;
        const reply = followUpMessage(
          { customer, customerMessageId: `<new.capacity.${index}@client.example>`, ackMessageId: ack.messageId, ackSubject: ack.subject },
          index,
          'capacity',
        );
        followUps.push(await measure('follow-up', reply.raw, customer));
        const bounceFile = bounceFiles[Math.floor((index * bounceFiles.length) / samples)];
        if (bounceFile) {
          const raw = withFreshMessageId(readFileSync(bounceFile), `<bounce.capacity.${index}@bench.invalid>`);
          bounces.push(await measure('bounce', raw, envelopeSource(raw)));
        }
        if ((index + 1) % 5 === 0) onProgress(`capacity: ${index + 1}/${samples} samples`);
      }
      return [
        row('new ticket (incl. acknowledgement)', created),
        row('follow-up to the acknowledgement', followUps),
        ...(bounces.length > 0 ? [row('bounce (sisimai bsd sample)', bounces)] : []),
      ];
    },
    close() {
      documentClient.destroy();
      s3.destroy();
      ses.destroy();
    },
  };
}
