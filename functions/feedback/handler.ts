import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadApiConfig } from '../commons/config';
import { createDocumentClient } from '../commons/clients/dynamodb';
import { resolveReplyTokenSecret } from '../commons/clients/secrets';
import { logger } from '../commons/logger';
import { DynamoRosterStore } from '../adapters/dynamodb/roster';
import { DynamoSuppressionStore } from '../adapters/dynamodb/suppressions';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { deskMailSender } from '../outbound/ses-mail-sender';
import type { DeliveryFailureDependencies } from './record-delivery-failure';
import { receiveFeedback, type FeedbackResult } from './receive-feedback';
import { snsEventSchema } from './ses-notification';

// The feedback function needs what the API's answers need: the desk's address, the reply secret, SES.
const config = loadApiConfig();
const replyTokenSecret = await resolveReplyTokenSecret(config.replyTokenSecret);
const documentClient = createDocumentClient();
const suppressions = new DynamoSuppressionStore(documentClient, config.tableName);
const dependencies: DeliveryFailureDependencies = {
  store: new DynamoTicketStore(documentClient, config.tableName),
  roster: new DynamoRosterStore(documentClient, config.tableName),
  suppressions,
  mailSender: deskMailSender(config.sesConfigurationSet, suppressions),
  settings: { supportAddress: config.supportAddress, supportDisplayName: config.supportDisplayName, replyTokenSecret, region: config.region },
  log: (message, fields) => logger.info(message, fields),
};

/**
 * SNS subscription to the SES feedback topic (asynchronous invocation). An event that is not SNS's, or a
 * notification that is not SES's, is logged with the reason and dropped: retrying cannot fix it. A failure of
 * AWS itself is thrown, so Lambda retries and finally hands the event to the on-failure queue.
 */
async function feedback(event: unknown): Promise<{ results: FeedbackResult[] }> {
  const parsed = snsEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('feedback event refused: not an SNS event', { reason: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ').slice(0, 300) });
    return { results: [{ outcome: 'refused', reason: 'not an SNS event' }] };
  }
  const results: FeedbackResult[] = [];
  for (const record of parsed.data.Records) {
    logger.appendKeys({ snsMessageId: record.Sns.MessageId });
    const result = await receiveFeedback(record.Sns.Message, dependencies);
    if (result.outcome === 'refused') logger.warn('feedback notification refused', { reason: result.reason });
    // Counts, not addresses: logs carry no personal data.
    else if (result.outcome === 'suppressed') logger.info('feedback notification', { outcome: result.outcome, kind: result.kind, sesMessageId: result.sesMessageId, ticketId: result.ticketId, suppressed: result.suppressed.length, alreadySuppressed: result.alreadySuppressed.length, staffNotices: result.staffNotices });
    else logger.info('feedback notification', { outcome: result.outcome, why: result.why });
    results.push(result);
  }
  return { results };
}

export const handler = middy(feedback).use(injectLambdaContext(logger, { resetKeys: true }));
