import { describe, expect, it } from 'vitest';
import { PersistentConflictError, retryOnConflict } from '../../functions/adapters/dynamodb/items';

const cancelled = (...codes: string[]) => Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: codes.map((Code) => ({ Code })) });

describe('transactions that lost a race', () => {
  it('are tried again, and a condition that failed is an answer returned at once', async () => {
    let calls = 0;
    await expect(retryOnConflict(async () => (++calls < 3 ? Promise.reject(cancelled('None', 'TransactionConflict')) : 'done'))).resolves.toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(retryOnConflict(async () => (++calls, Promise.reject(cancelled('ConditionalCheckFailed', 'TransactionConflict'))))).rejects.toThrow('Transaction cancelled');
    expect(calls).toBe(1);
  });

  it('end in a named error when the conflict does not let up, so the caller can choose what to give up', async () => {
    await expect(retryOnConflict(async () => Promise.reject(cancelled('TransactionConflict')))).rejects.toBeInstanceOf(PersistentConflictError);
  }, 20_000);
});
