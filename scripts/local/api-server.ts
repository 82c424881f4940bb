import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { API_ROUTES } from '../../functions/api/routes';

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Matches a path against the route templates, returning the template and its path parameters. */
export function matchRoute(method: string, path: string): { resource: string; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of API_ROUTES) {
    if (route.method !== method) continue;
    const template = route.resource.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = template.every((part, index) => {
      const segment = segments[index] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        pathParameters[part.slice(1, -1)] = decodeURIComponent(segment);
        return true;
      }
      return part === segment;
    });
    if (matches) return { resource: route.resource, pathParameters };
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

/** Serves the API handler over HTTP the way API Gateway's Lambda proxy integration would call it. */
export async function startApiServer(options: { port: number; host?: string; handler: ApiHandler }) {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const route = matchRoute(method, url.pathname);
    const send = (result: APIGatewayProxyResult) => {
      response.writeHead(result.statusCode, result.headers as Record<string, string>);
      response.end(result.body);
    };
    const query = Object.fromEntries(url.searchParams.entries());
    const event = {
      httpMethod: method,
      path: url.pathname,
      resource: route?.resource ?? url.pathname,
      pathParameters: route?.pathParameters ?? null,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])),
      multiValueHeaders: {},
      body: null,
      isBase64Encoded: false,
      stageVariables: null,
      requestContext: {} as APIGatewayProxyEvent['requestContext'],
    } satisfies APIGatewayProxyEvent;
    request.resume();
    options.handler(event, lambdaContext('concierge-api')).then(send, () =>
      send({ statusCode: 500, body: JSON.stringify({ error: 'internal error' }), headers: { 'content-type': 'application/json' } }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
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
