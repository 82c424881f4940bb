import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadInboundConfig } from '../commons/config';
import { createDocumentClient } from '../commons/clients/dynamodb';
import { createS3Client } from '../commons/clients/s3';
import { resolveReplyTokenSecret } from '../commons/clients/secrets';
import { logger } from '../commons/logger';
import { emfToStdout } from '../commons/metrics';
import { deskMailSender } from '../outbound/ses-mail-sender';
import { DynamoRosterStore } from '../adapters/dynamodb/roster';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { DynamoSuppressionStore } from '../adapters/dynamodb/suppressions';
import { S3RawMailStore } from './raw-mail-store';
import { receiveMessage, type InboundDependencies, type InboundResult } from './receive-message';
import { deliveriesFromEvent, sesReceiptEventSchema } from './ses-event';

// Built once per container: configuration errors fail the cold start loudly, not each message.
const config = loadInboundConfig();
const replyTokenSecret = await resolveReplyTokenSecret(config.replyTokenSecret);
const documentClient = createDocumentClient();
const suppressions = new DynamoSuppressionStore(documentClient, config.tableName);
const dependencies: InboundDependencies = {
  store: new DynamoTicketStore(documentClient, config.tableName),
  roster: new DynamoRosterStore(documentClient, config.tableName),
  rawMail: new S3RawMailStore(createS3Client(config.s3ForcePathStyle), config.rawMailBucket, config.sensitiveMailKeyId),
  mailSender: deskMailSender(config.sesConfigurationSet, suppressions),
  suppressions,
  settings: { ...config, replyTokenSecret },
  log: (message, fields) => logger.info(message, fields),
  metrics: emfToStdout,
};

/**
 * SES Lambda action (asynchronous invocation). A malformed event or a failure of AWS itself is thrown,
 * so Lambda retries it and finally dead-letters it; a hostile message is quarantined inside the use case
 * and never thrown, so it cannot crash-loop.
 */
async function inbound(event: unknown): Promise<{ results: InboundResult[] }> {
  const parsed = sesReceiptEventSchema.parse(event);
  const results: InboundResult[] = [];
  for (const delivery of deliveriesFromEvent(parsed)) {
    logger.appendKeys({ sesMessageId: delivery.sesMessageId });
    results.push(await receiveMessage(delivery, dependencies));
  }
  return { results };
}

export const handler = middy(inbound).use(injectLambdaContext(logger, { resetKeys: true }));
