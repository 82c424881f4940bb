/** Every API route, by API Gateway resource template: the stack, the handler and the local server share it. */
export const API_ROUTES = [
  { method: 'GET', resource: '/health' },
  { method: 'GET', resource: '/tickets' },
  { method: 'GET', resource: '/tickets/{id}' },
] as const;
