import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_FIRST_RESPONSE_MINUTES, loadApiConfig, loadInboundConfig } from '../../functions/commons/config';

const base = { TABLE_NAME: 'tickets', RAW_MAIL_BUCKET: 'raw-mail', SUPPORT_ADDRESS: 'Support@Desk.Example', REPLY_TOKEN_SECRET: 's'.repeat(40) };

describe('inbound configuration', () => {
  it('fills in the defaults and normalises addresses', () => {
    const config = loadInboundConfig({ ...base, OWN_ADDRESSES: ' Staff@Desk.Example , ' });
    expect(config).toMatchObject({
      supportAddress: 'support@desk.example',
      ownAddresses: ['support@desk.example', 'staff@desk.example'],
      ackLimitPerSenderPerHour: 5,
      ackLimitPerHour: 200,
      firstResponseMinutes: DEFAULT_FIRST_RESPONSE_MINUTES,
      replyTokenSecret: { value: 's'.repeat(40) },
      s3ForcePathStyle: false,
    });
  });

  it('refuses zero, negative and fractional limits, naming each variable, so no limit can be switched off', () => {
    const attempt = () => loadInboundConfig({ ...base, ACK_LIMIT_PER_HOUR: '0', MAX_MIME_DEPTH: '-1', MAX_MIME_PARTS: '2.5' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/ACK_LIMIT_PER_HOUR: .*MAX_MIME_DEPTH: .*MAX_MIME_PARTS: /);
  });

  it('says what is wrong with an address, a secret or the first-response policy', () => {
    expect(() => loadInboundConfig({ ...base, SUPPORT_ADDRESS: 'not an address' })).toThrow(/SUPPORT_ADDRESS: Invalid email address/);
    expect(() => loadInboundConfig({ ...base, REPLY_TOKEN_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(() => loadInboundConfig({ ...base, REPLY_TOKEN_SECRET: undefined })).toThrow(/set REPLY_TOKEN_SECRET or REPLY_TOKEN_SECRET_ARN/);
    expect(() => loadInboundConfig({ ...base, FIRST_RESPONSE_MINUTES: '{"vip":0}' })).toThrow(/FIRST_RESPONSE_MINUTES must be JSON/);
    expect(loadInboundConfig({ ...base, FIRST_RESPONSE_MINUTES: '{"vipUrgent":10,"vip":30,"standardUrgent":45,"standard":600}' }).firstResponseMinutes.vip).toBe(30);
  });

  it('for the API, needs the table, and the desk address and reply secret that relayed answers are sent with', () => {
    expect(loadApiConfig({ TABLE_NAME: 'tickets', SUPPORT_ADDRESS: 'support@desk.example', REPLY_TOKEN_SECRET: 's'.repeat(40) })).toEqual({
      tableName: 'tickets',
      supportAddress: 'support@desk.example',
      supportDisplayName: 'Concierge Support',
      replyTokenSecret: { value: 's'.repeat(40) },
      region: 'us-east-1',
    });
    expect(() => loadApiConfig({})).toThrow(/TABLE_NAME/);
    expect(() => loadApiConfig({ TABLE_NAME: 'tickets', SUPPORT_ADDRESS: 'support@desk.example' })).toThrow(/REPLY_TOKEN_SECRET/);
  });
});
