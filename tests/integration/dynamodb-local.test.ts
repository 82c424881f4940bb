/**
 * DynamoDB Local is ready only when its own Java process holds the port: another instance answering on the
 * same port must not pass for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortTakenError, startDynamoDbLocal, type DynamoDbLocal } from '../../scripts/local/dynamodb-local';
import { freePort, holdsListeningPort } from '../../scripts/local/processes';
import { sharedStandIns } from '../helpers/shared-stand-ins';

let otherPort: number;
const started: DynamoDbLocal[] = [];

beforeAll(async () => {
  // Another DynamoDB Local already listening: the run's shared one.
  const shared = await sharedStandIns();
  if (!shared) throw new Error('this test needs the shared stand-ins of the vitest global setup');
  otherPort = Number(new URL(shared.dynamoEndpoint).port);
});

afterAll(async () => {
  await Promise.all(started.map((instance) => instance.stop()));
});

describe('startDynamoDbLocal', () => {
  it('refuses a fixed port that another instance holds, though that instance answers', async () => {
    // Act
    const attempt = startDynamoDbLocal({ port: otherPort }).then((instance) => started.push(instance));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PortTakenError);
  });

  it('moves to a new port when the one it picked turns out to be taken', async () => {
    // Prepare
    const picks = [otherPort];
    const pickPort = async () => picks.shift() ?? freePort();

    // Act
    const instance = await startDynamoDbLocal({ pickPort });
    started.push(instance);

    // Assess
    expect(instance.port).not.toBe(otherPort);
    expect(instance.process.exitCode).toBeNull();
    expect(holdsListeningPort(instance.process.pid!, instance.port)).toBe(true);
    expect(holdsListeningPort(instance.process.pid!, otherPort)).toBe(false);
  });
});
