import { describe, expect, it } from 'vitest';
import { readParameters } from '../../lib/parameters';

const BASE: Record<string, unknown> = {
  mailDomain: 'desk.example',
  supportAddresses: 'support@desk.example',
  notificationSender: 'notify@desk.example',
  alarmEmail: 'ops@desk.example',
};

describe('deploy parameters', () => {
  it('bounds the desk-wide acknowledgement cap where the hour’s count item stays far below DynamoDB’s item limit', () => {
    expect(readParameters((key) => ({ ...BASE, ackLimitPerHour: '10000' })[key]).ackLimitPerHour).toBe(10_000);
    expect(() => readParameters((key) => ({ ...BASE, ackLimitPerHour: '10001' })[key])).toThrow(/ackLimitPerHour/);
  });
});
