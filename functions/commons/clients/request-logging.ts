/**
 * Drops the SDK's per-request logger middleware from a client built without a logger. Such a client logs to a
 * no-op logger, yet after every request, and every failed one such as a failed condition, the middleware
 * still copies the whole input and output through the service schema to redact sensitive members: about 2% of
 * each request's CPU (`npx tsx scripts/bench/cpu.ts --profile DIR`), for lines nobody receives.
 */
export function withoutRequestLogging<Client extends { middlewareStack: { remove(name: string): boolean } }>(client: Client): Client {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
