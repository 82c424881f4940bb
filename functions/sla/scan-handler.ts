import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { loadApiConfig } from '../commons/config';
import { createDocumentClient } from '../commons/clients/dynamodb';
import { resolveReplyTokenSecret } from '../commons/clients/secrets';
import { logger } from '../commons/logger';
import { emfToStdout } from '../commons/metrics';
import { DynamoRosterStore } from '../adapters/dynamodb/roster';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { deskMailSender } from '../outbound/ses-mail-sender';
import { DynamoSuppressionStore } from '../adapters/dynamodb/suppressions';
import { newScanHolder, runSlaScan, type SlaScanDependencies, type SlaScanSummary } from './scan';

// The scan needs what the API's answers need (the desk's address, the reply secret, SES) and the SLA policy.
const config = loadApiConfig();
const replyTokenSecret = await resolveReplyTokenSecret(config.replyTokenSecret);
const documentClient = createDocumentClient();
const dependencies: SlaScanDependencies = {
  store: new DynamoTicketStore(documentClient, config.tableName),
  roster: new DynamoRosterStore(documentClient, config.tableName),
  mailSender: deskMailSender(config.sesConfigurationSet, new DynamoSuppressionStore(documentClient, config.tableName)),
  settings: { supportAddress: config.supportAddress, supportDisplayName: config.supportDisplayName, replyTokenSecret, region: config.region, slaPolicy: config.slaPolicy },
  metrics: emfToStdout,
  newClaimHolder: newScanHolder,
  log: (message, fields) => logger.info(message, fields),
};

/** EventBridge schedule, every minute. Overlapping or repeated runs are safe (sla/scan.ts). */
async function scan(_event: unknown, context: Context): Promise<SlaScanSummary> {
  const summary = await runSlaScan({ ...dependencies, timeLeftMs: () => context.getRemainingTimeInMillis() });
  logger.info('sla scan finished', { ...summary });
  return summary;
}

export const handler = middy(scan).use(injectLambdaContext(logger, { resetKeys: true }));
