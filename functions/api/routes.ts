/**
 * Every API route, by API Gateway resource template, with the query parameters it accepts: the stack, the
 * handler and the local server share it. Kept free of imports so `cdk synth` loads nothing else.
 */
export const API_ROUTES = [
  { method: 'GET', resource: '/health', query: [] },
  { method: 'GET', resource: '/tickets', query: ['customer', 'assignee', 'limit', 'cursor'] },
  { method: 'GET', resource: '/tickets/{id}', query: ['limit', 'cursor'] },
  { method: 'PATCH', resource: '/tickets/{id}', query: [] },
  { method: 'POST', resource: '/tickets/{id}/replies', query: [] },
  { method: 'POST', resource: '/staff', query: [] },
  { method: 'GET', resource: '/staff', query: [] },
  { method: 'GET', resource: '/staff/{id}', query: [] },
  { method: 'PATCH', resource: '/staff/{id}', query: [] },
  { method: 'POST', resource: '/customers', query: [] },
  // Before `/customers/{email}`: a path is matched against the templates in this order.
  { method: 'POST', resource: '/customers/import', query: [] },
  { method: 'GET', resource: '/customers/{email}', query: [] },
  { method: 'PATCH', resource: '/customers/{email}', query: [] },
  { method: 'GET', resource: '/reports/sla', query: ['from', 'to'] },
  { method: 'GET', resource: '/suppressions', query: ['limit', 'cursor'] },
  { method: 'GET', resource: '/suppressions/{email}', query: [] },
  { method: 'DELETE', resource: '/suppressions/{email}', query: [] },
] as const;

export type ApiRoute = (typeof API_ROUTES)[number];

export type RouteMatch =
  | { kind: 'route'; route: ApiRoute; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' }
  /** A path segment that is not valid percent-encoding (`/tickets/%ZZ`). */
  | { kind: 'malformed-path' };

function templateSegments(resource: string): string[] {
  return resource.split('/').filter(Boolean);
}

/** The route a method and resource template name, when the template is one of ours. */
export function routeForResource(method: string, resource: string, pathParameters: Record<string, string>): RouteMatch | undefined {
  const sameResource = API_ROUTES.filter((route) => route.resource === resource);
  if (sameResource.length === 0) return undefined;
  const route = sameResource.find((candidate) => candidate.method === method);
  return route ? { kind: 'route', route, pathParameters } : { kind: 'method-not-allowed', allowed: sameResource.map((r) => r.method) };
}

/** Matches a request path against the templates: a route, a known path with another method, or nothing. */
export function routeForPath(method: string, path: string): RouteMatch {
  const segments = path.split('/').filter(Boolean);
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return { kind: 'malformed-path' };
  }
  for (const route of API_ROUTES) {
    const template = templateSegments(route.resource);
    if (template.length !== decoded.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = template.every((part, index) => {
      const segment = decoded[index] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        pathParameters[part.slice(1, -1)] = segment;
        return segment !== '';
      }
      return part === segment;
    });
    if (matches) return routeForResource(method, route.resource, pathParameters) ?? { kind: 'not-found' };
  }
  return { kind: 'not-found' };
}
