import { SESClient } from '@aws-sdk/client-ses';
import { withoutRequestLogging } from './request-logging';

/**
 * One attempt per send: the SDK retries timeouts, resets and 5xx answers, each of which may come after SES
 * accepted the mail, so its retries could deliver the same mail twice. Whether to try again is the send-once
 * mechanism's decision (outbound/send-once.ts).
 */
export function createSesClient(): SESClient {
  return withoutRequestLogging(new SESClient({ maxAttempts: 1 }));
}
