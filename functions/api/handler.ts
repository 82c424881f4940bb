import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadApiConfig } from '../commons/config';
import { resolveReplyTokenSecret } from '../commons/clients/secrets';
import type { StaffReplyDependencies } from '../tickets/staff-replies';
import { createDocumentClient } from '../commons/clients/dynamodb';
import { logger } from '../commons/logger';
import { emfToStdout } from '../commons/metrics';
import { DynamoRosterStore } from '../adapters/dynamodb/roster';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { DynamoSuppressionStore } from '../adapters/dynamodb/suppressions';
import { RosterConflictError } from '../roster/errors';
import { BadRequestError, HttpError, MethodNotAllowedError, NotFoundError } from './errors';
import { routeForPath, routeForResource, type ApiRoute } from './routes';
import { Answer, createStaff, importCustomers, listStaff, putCustomer, showCustomer, showStaff, updateCustomer, updateStaff } from './roster-api';
import { listTickets, patchTicket, replyToTicket, showTicket } from './tickets-api';
import { slaReport } from './reports-api';
import { liftSuppression, listSuppressions, showSuppression } from './suppressions-api';

const config = loadApiConfig();
const documentClient = createDocumentClient();
const store = new DynamoTicketStore(documentClient, config.tableName);
const roster = new DynamoRosterStore(documentClient, config.tableName);
const suppressions = new DynamoSuppressionStore(documentClient, config.tableName);
/**
 * Staff answers go out through SES. The SES client, the MIME encoders and the reply-address secret are all
 * needed only then: they are loaded on the first answer, not at every cold start (the deployed bundle defers
 * their modules too, lib/concierge-function.ts FUNCTION_DEFERRED_MODULES).
 */
let replyDependencies: StaffReplyDependencies | undefined;
async function replies(): Promise<StaffReplyDependencies> {
  if (!replyDependencies) {
    const replyTokenSecret = await resolveReplyTokenSecret(config.replyTokenSecret);
    const { deskMailSender } = await import('../outbound/ses-mail-sender');
    replyDependencies = {
      store,
      roster,
      mailSender: deskMailSender(config.sesConfigurationSet, suppressions),
      settings: { supportAddress: config.supportAddress, supportDisplayName: config.supportDisplayName, replyTokenSecret, region: config.region, slaPolicy: config.slaPolicy, depositAddresses: config.depositAddresses },
      log: (message, fields) => logger.info(message, fields),
      metrics: emfToStdout,
    };
  }
  return replyDependencies;
}

/** `caller`: the IAM identity API Gateway verified (absent locally, where nothing is signed). */
type Action = (query: Record<string, string>, pathParameters: Record<string, string>, body: unknown, headers: Record<string, string>, caller?: string) => Promise<unknown>;

type RouteKey = ApiRoute extends infer R ? (R extends ApiRoute ? `${R['method']} ${R['resource']}` : never) : never;

const actions: Record<RouteKey, Action> = {
  'GET /health': async () => ({ status: 'ok' }),
  'GET /tickets': (query) => listTickets(store, query, config),
  'GET /tickets/{id}': (query, path) => showTicket(store, path.id, query, config),
  'PATCH /tickets/{id}': (_query, path, body) => patchTicket({ store, roster, slaPolicy: config.slaPolicy }, path.id, body),
  'POST /tickets/{id}/replies': async (_query, path, body, headers) => replyToTicket(await replies(), path.id, body, headers['idempotency-key']),
  'POST /staff': (_query, _path, body) => createStaff(roster, body),
  'GET /staff': () => listStaff(roster),
  'GET /staff/{id}': (_query, path) => showStaff(roster, path.id),
  'PATCH /staff/{id}': (_query, path, body) => updateStaff(roster, path.id, body),
  'POST /customers': (_query, _path, body) => putCustomer(roster, body),
  'POST /customers/import': (_query, _path, body) => importCustomers(roster, body),
  'GET /customers/{email}': (_query, path) => showCustomer(roster, path.email),
  'PATCH /customers/{email}': (_query, path, body) => updateCustomer(roster, path.email, body),
  'GET /reports/sla': (query) => slaReport(store, query, config),
  'GET /suppressions': (query) => listSuppressions(suppressions, query),
  'GET /suppressions/{email}': (_query, path) => showSuppression(suppressions, path.email),
  'DELETE /suppressions/{email}': (_query, path, body, _headers, caller) => liftSuppression(suppressions, path.email, body, caller),
};

/** The JSON body of a request that carries one; none for GET. */
function bodyOf(event: APIGatewayProxyEvent): unknown {
  if (event.httpMethod === 'GET' || event.httpMethod === 'HEAD') return undefined;
  const text = event.body === null || event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') throw new BadRequestError('the request needs a JSON body');
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('the body is not valid JSON');
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/**
 * The route for an event. API Gateway names the resource template it matched; a catch-all resource, or the
 * local server for a method no route has, leaves only the path to go by.
 */
function resolve(event: APIGatewayProxyEvent): { route: ApiRoute; pathParameters: Record<string, string> } {
  const pathParameters = Object.fromEntries(Object.entries(event.pathParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const match = routeForResource(event.httpMethod, event.resource, pathParameters) ?? routeForPath(event.httpMethod, event.path);
  switch (match.kind) {
    case 'route':
      return match;
    case 'method-not-allowed':
      throw new MethodNotAllowedError(event.httpMethod, event.path, match.allowed);
    case 'malformed-path':
      throw new BadRequestError('the path is not valid percent-encoding');
    case 'not-found':
      throw new NotFoundError(`no route ${event.httpMethod} ${event.path}`);
  }
}

/** Query parameters the route accepts, each once; anything else is a 400 that names it. */
function queryOf(event: APIGatewayProxyEvent, route: ApiRoute): Record<string, string> {
  const accepted: readonly string[] = route.query;
  const query = event.queryStringParameters ?? {};
  for (const name of Object.keys({ ...query, ...event.multiValueQueryStringParameters })) {
    if (!accepted.includes(name)) {
      throw new BadRequestError(`unknown query parameter '${name}'${accepted.length > 0 ? `; ${route.resource} accepts ${accepted.join(', ')}` : ''}`);
    }
    if ((event.multiValueQueryStringParameters?.[name]?.length ?? 0) > 1) throw new BadRequestError(`query parameter '${name}' is given more than once`);
  }
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

async function api(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const { route, pathParameters } = resolve(event);
    const action = actions[`${route.method} ${route.resource}` as RouteKey];
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).flatMap(([name, value]) => (value === undefined ? [] : [[name.toLowerCase(), value]])));
    const caller = event.requestContext?.identity?.userArn ?? undefined;
    const result = await action(queryOf(event, route), pathParameters, bodyOf(event), headers, caller);
    return result instanceof Answer ? json(result.statusCode, result.body) : json(200, result);
  } catch (error) {
    // Only errors marked safe reach the caller; anything else is logged and answered with a generic 500.
    if (error instanceof HttpError) return json(error.statusCode, { error: error.message, ...(error.details !== undefined ? { details: error.details } : {}) }, error.headers);
    if (error instanceof RosterConflictError) return json(409, { error: error.message });
    logger.error('request failed', { error: error as Error, resource: event.resource });
    return json(500, { error: 'internal error' });
  }
}

export const handler = middy(api).use(injectLambdaContext(logger, { resetKeys: true }));
