import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadApiConfig, loadInboundConfig } from '../../functions/commons/config';
import { DEFAULT_SLA_POLICY } from '../../functions/sla/policy';

const base = { TABLE_NAME: 'tickets', RAW_MAIL_BUCKET: 'raw-mail', SUPPORT_ADDRESS: 'Support@Desk.Example', REPLY_TOKEN_SECRET: 's'.repeat(40) };

describe('inbound configuration', () => {
  it('fills in the defaults and normalises addresses', () => {
    const config = loadInboundConfig({ ...base, OWN_ADDRESSES: ' Staff@Desk.Example , ' });
    expect(config).toMatchObject({
      supportAddress: 'support@desk.example',
      ownAddresses: ['support@desk.example', 'staff@desk.example'],
      ackLimitPerSenderPerHour: 5,
      ackLimitPerHour: 200,
      slaPolicy: DEFAULT_SLA_POLICY,
      replyTokenSecret: { value: 's'.repeat(40) },
      s3ForcePathStyle: false,
    });
  });

  it('refuses zero, negative and fractional limits, naming each variable, so no limit can be switched off', () => {
    const attempt = () => loadInboundConfig({ ...base, ACK_LIMIT_PER_HOUR: '0', MAX_MIME_DEPTH: '-1', MAX_MIME_PARTS: '2.5' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/ACK_LIMIT_PER_HOUR: .*MAX_MIME_DEPTH: .*MAX_MIME_PARTS: /);
  });

  it('says what is wrong with an address, a secret or the SLA policy, naming the path of the mistake', () => {
    const folder = mkdtempSync(join(tmpdir(), 'sla-policy-'));
    const bad = join(folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({ targets: { vip: { urgent: { firstResponse: 'soon' } } } }));
    const good = join(folder, 'good.json');
    writeFileSync(good, JSON.stringify({ targets: { vip: { urgent: { firstResponse: 'PT20S' } } } }));
    expect(() => loadInboundConfig({ ...base, SUPPORT_ADDRESS: 'not an address' })).toThrow(/SUPPORT_ADDRESS: Invalid email address/);
    expect(() => loadInboundConfig({ ...base, REPLY_TOKEN_SECRET: 'short' })).toThrow(/at least 32 characters/);
    expect(() => loadInboundConfig({ ...base, REPLY_TOKEN_SECRET: undefined })).toThrow(/set REPLY_TOKEN_SECRET or REPLY_TOKEN_SECRET_ARN/);
    expect(() => loadInboundConfig({ ...base, SLA_POLICY_FILE: bad })).toThrow(/invalid SLA policy: .*targets\.vip\.urgent\.firstResponse: expected an ISO-8601 duration.*got "soon"/);
    expect(() => loadApiConfig({ ...base, SLA_POLICY_FILE: join(folder, 'missing.json') })).toThrow(/missing\.json: cannot be read \(ENOENT\)/);
    expect(loadInboundConfig({ ...base, SLA_POLICY_FILE: good }).slaPolicy.targets.vip.urgent.firstResponse).toBe(20);
    expect(loadApiConfig({ ...base, SLA_POLICY_FILE: good }).slaPolicy.targets.vip.urgent.firstResponse).toBe(20);
  });

  it('for the API, needs the table, and the desk address and reply secret that relayed answers are sent with', () => {
    expect(loadApiConfig({ TABLE_NAME: 'tickets', SUPPORT_ADDRESS: 'support@desk.example', REPLY_TOKEN_SECRET: 's'.repeat(40) })).toEqual({
      tableName: 'tickets',
      supportAddress: 'support@desk.example',
      supportDisplayName: 'Concierge Support',
      replyTokenSecret: { value: 's'.repeat(40) },
      region: 'us-east-1',
      slaPolicy: DEFAULT_SLA_POLICY,
      depositAddresses: new Set(),
    });
    expect(() => loadApiConfig({})).toThrow(/TABLE_NAME/);
    expect(() => loadApiConfig({ TABLE_NAME: 'tickets', SUPPORT_ADDRESS: 'support@desk.example' })).toThrow(/REPLY_TOKEN_SECRET/);
  });
});
