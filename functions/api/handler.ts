import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadApiConfig } from '../commons/config';
import { createDocumentClient } from '../commons/clients/dynamodb';
import { logger } from '../commons/logger';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { HttpError, NotFoundError } from './errors';
import { listTickets, showTicket } from './tickets-api';

const config = loadApiConfig();
const store = new DynamoTicketStore(createDocumentClient(), config.tableName);

type Route = (event: APIGatewayProxyEvent) => Promise<unknown>;

/** Routes by API Gateway resource template, so the same table serves AWS and the local server. */
const routes: Record<string, Route> = {
  'GET /health': async () => ({ status: 'ok' }),
  'GET /tickets': (event) => listTickets(store, event.queryStringParameters ?? {}),
  'GET /tickets/{id}': (event) => showTicket(store, event.pathParameters?.id, event.queryStringParameters ?? {}),
};

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

async function api(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) throw new NotFoundError(`no route ${event.httpMethod} ${event.path}`);
    return json(200, await route(event));
  } catch (error) {
    // Only errors marked safe reach the caller; anything else is logged and answered with a generic 500.
    if (error instanceof HttpError) return json(error.statusCode, { error: error.message });
    logger.error('request failed', { error: error as Error, resource: event.resource });
    return json(500, { error: 'internal error' });
  }
}

export const handler = middy(api).use(injectLambdaContext(logger, { resetKeys: true }));
