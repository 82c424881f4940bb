/**
 * The changes of a send-once claim after it is taken, for wherever the claim lives: an acknowledgement's on
 * its ticket (`ack.state`, `ack.holder`, …), a notification's or relayed answer's on its own message item
 * (`sendState`, `holder`, …). Every change is conditional on the claim being `sending`, and all but
 * abandoning it on the holder, so a slow holder and a retry never undo each other.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './items';

/** Where a claim's fields are, as update-expression paths (`#`-names resolved through `names`). */
export interface ClaimFields {
  state: string;
  holder: string;
  leaseUntil: string;
  error: string;
  names: Readonly<Record<string, string>>;
}

export const TICKET_ACK_CLAIM: ClaimFields = { state: 'ack.#state', holder: 'ack.holder', leaseUntil: 'ack.leaseUntil', error: 'ack.#error', names: { '#state': 'state', '#error': 'error' } };
export const MESSAGE_CLAIM: ClaimFields = { state: 'sendState', holder: 'holder', leaseUntil: 'leaseUntil', error: 'sendError', names: {} };

/** Errors are cut to this many characters before they are stored. */
const MAX_STORED_ERROR_CHARS = 500;

export class ClaimUpdates {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly key: Record<string, string>,
    private readonly fields: ClaimFields,
  ) {}

  /** A claim whose lease ran out while `sending` becomes `unknown` (never a second send); false if it was not that claim. */
  abandon(holder: string, nowMs: number): Promise<boolean> {
    const f = this.fields;
    return this.update(`SET ${f.state} = :unknown REMOVE ${f.holder}, ${f.leaseUntil}`, `${f.state} = :sending AND ${f.holder} = :holder AND ${f.leaseUntil} < :now`, {
      ':unknown': 'unknown',
      ':sending': 'sending',
      ':holder': holder,
      ':now': nowMs,
    });
  }

  /** The holder settles its claim (back to `pending`, or `rejected`, `rate-limited`, `unknown`, `suppressed`); a claim no longer theirs is left alone. */
  async settle(holder: string, state: 'pending' | 'rejected' | 'rate-limited' | 'unknown' | 'suppressed', error?: string): Promise<void> {
    const f = this.fields;
    const setError = error === undefined ? '' : `, ${f.error} = :error`;
    await this.update(`SET ${f.state} = :to${setError} REMOVE ${f.holder}, ${f.leaseUntil}`, `${f.state} = :sending AND ${f.holder} = :holder`, {
      ':to': state,
      ':sending': 'sending',
      ':holder': holder,
      ...(error === undefined ? {} : { ':error': error.slice(0, MAX_STORED_ERROR_CHARS) }),
    });
  }

  /** True when written, false when its condition failed. */
  private async update(expression: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    // DynamoDB refuses names an expression does not use.
    const used = Object.fromEntries(Object.entries(this.fields.names).filter(([name]) => expression.includes(name) || condition.includes(name)));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          ...(Object.keys(used).length > 0 ? { ExpressionAttributeNames: used } : {}),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
