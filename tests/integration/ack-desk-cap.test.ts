/** The desk-wide hourly cap on acknowledgements, on its own stack (the handlers read their limits once). */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ handlerEnv: { ACK_LIMIT_PER_HOUR: '3' } });
});
afterAll(async () => {
  await stack?.teardown();
});

describe('the desk-wide hourly cap on acknowledgements', () => {
  it('stops acknowledging at the cap whatever the From addresses, concurrently too, and opens every ticket', async () => {
    // Act: eight different senders at once (a forger rotating From addresses)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stack.deliver(composeMessage({ from: `rotating.${i}@customer.example`, subject: `Message ${i}`, text: 'Hello' }))),
    );

    // Assess
    expect(results.every((result) => result.outcome === 'ticket-created')).toBe(true);
    const acknowledged = results.filter((result) => result.outcome === 'ticket-created' && result.acknowledgement === 'sent');
    const withheld = results.filter((result) => result.outcome === 'ticket-created' && result.acknowledgement === 'rate-limited');
    expect(acknowledged).toHaveLength(3);
    expect(withheld).toHaveLength(5);
    expect(readdirSync(stack.outboxDir).filter((name) => name.endsWith('.eml'))).toHaveLength(3);
  });
});

