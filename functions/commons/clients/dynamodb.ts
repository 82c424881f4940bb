import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withoutRequestLogging } from './request-logging';

/**
 * One file per SDK client, so each function bundles only the clients it uses. Endpoints come from the SDK's
 * own `AWS_ENDPOINT_URL_<SERVICE>` variables: the same code talks to AWS or to the local stand-ins.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(withoutRequestLogging(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
