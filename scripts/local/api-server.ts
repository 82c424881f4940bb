import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { API_ROUTES } from '../../functions/api/routes';
import type { HealthReport } from './health';

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A request API Gateway would refuse before it reached the function. */
export class MalformedRequestError extends Error {}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MalformedRequestError('malformed percent-encoding in the path');
  }
}

/**
 * Matches a path against the route templates, returning the template and its path parameters. A path that
 * matches a template only under another method still gets that template, so the handler can answer 405.
 */
export function matchRoute(method: string, path: string): { resource: string; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean);
  const candidates = [...API_ROUTES.filter((route) => route.method === method), ...API_ROUTES.filter((route) => route.method !== method)];
  for (const route of candidates) {
    const template = route.resource.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const matches = template.every((part, index) => (part.startsWith('{') && part.endsWith('}')) || part === segments[index]);
    if (!matches) continue;
    const pathParameters: Record<string, string> = {};
    template.forEach((part, index) => {
      if (part.startsWith('{') && part.endsWith('}')) pathParameters[part.slice(1, -1)] = decodePathSegment(segments[index] ?? '');
    });
    return { resource: route.resource, pathParameters };
  }
  return undefined;
}

function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export { lambdaContext };

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

/** The event API Gateway's Lambda proxy integration would build for this request. */
export function proxyEvent(method: string, target: string, headers: IncomingMessage['headers'], body: string | null = null): APIGatewayProxyEvent {
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (!path.startsWith('/')) throw new MalformedRequestError('the request target must be a path');
  const route = matchRoute(method, path);
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  // URLSearchParams never throws: a malformed escape in the query stays as written, as API Gateway passes it.
  for (const [key, value] of new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1))) {
    query[key] = value;
    (multiQuery[key] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    httpMethod: method,
    path,
    resource: route?.resource ?? path,
    pathParameters: route?.pathParameters ?? null,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])),
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/** API Gateway's limit on a request's payload. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

/** The request's body as text (null when empty); one larger than API Gateway accepts is refused. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) {
      request.resume();
      throw new MalformedRequestError(`the request body is over ${MAX_REQUEST_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves the API handler over HTTP the way API Gateway's Lambda proxy integration would call it. No request
 * can take the server down: a malformed one gets 400, a failing handler 500. With `health`, `GET /health`
 * also reports each local stand-in and answers 503 while one is down.
 */
export async function startApiServer(options: { port: number; host?: string; handler: ApiHandler; health?: () => Promise<HealthReport> }) {
  const answer = async (request: IncomingMessage): Promise<APIGatewayProxyResult> => {
    let event: APIGatewayProxyEvent;
    try {
      const body = await readBody(request);
      event = proxyEvent(request.method ?? 'GET', request.url ?? '/', request.headers, body);
    } catch (error) {
      if (error instanceof MalformedRequestError) return json(400, { error: error.message });
      throw error;
    }
    const result = await options.handler(event, lambdaContext('concierge-api'));
    if (!options.health || event.resource !== '/health' || event.httpMethod !== 'GET' || result.statusCode !== 200) return result;
    const report = await options.health();
    let handlerBody: Record<string, unknown> = {};
    try {
      handlerBody = JSON.parse(result.body) as Record<string, unknown>;
    } catch {
      // the handler's own answer is not JSON: report the stand-ins alone
    }
    return json(report.status === 'ok' ? 200 : 503, { ...handlerBody, ...report });
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    response.on('error', () => undefined);
    const send = (result: APIGatewayProxyResult) => {
      if (response.headersSent) return;
      response.writeHead(result.statusCode, result.headers as Record<string, string>);
      response.end(result.body);
    };
    answer(request)
      .then(send)
      .catch(() => send(json(500, { error: 'internal error' })))
      .catch(() => response.destroy());
  });
  // Clients (fetch) keep idle connections for 4 s; the server's 5 s default can close one just as a late client,
  // on a busy machine, sends its next request on it ("other side closed"). Idle sockets stay open far longer
  // here, so the client is always the one that lets go first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // A client that sends garbage gets 400 from Node's parser; the socket error must not reach the process.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
