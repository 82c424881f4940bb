/**
 * The published deposit addresses reach the functions through their configuration: none by default, the file
 * DEPOSIT_ADDRESSES_FILE names locally, and a bad file stops start-up naming the line of the mistake.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig, loadInboundConfig } from '../../functions/commons/config';

const base = { TABLE_NAME: 'tickets', RAW_MAIL_BUCKET: 'raw-mail', SUPPORT_ADDRESS: 'support@desk.example', REPLY_TOKEN_SECRET: 's'.repeat(40) };
const folder = mkdtempSync(join(tmpdir(), 'deposit-addresses-'));
const file = (name: string, text: string) => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};

describe('the deposit-address list in the configuration', () => {
  it('is empty unless DEPOSIT_ADDRESSES_FILE names a file', () => {
    expect(loadInboundConfig(base).depositAddresses.size).toBe(0);
    expect(loadApiConfig(base).depositAddresses.size).toBe(0);
  });

  it('holds the file’s addresses, in canonical form, for inbound and the API alike', () => {
    // Prepare
    const good = file('good.txt', '# published 2026-11\nbc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n0xDE0B295669a9FD93d5F28D9Ec85E40f4cb697BAe\n');

    // Act
    const inbound = loadInboundConfig({ ...base, DEPOSIT_ADDRESSES_FILE: good });
    const api = loadApiConfig({ ...base, DEPOSIT_ADDRESSES_FILE: good });

    // Assess
    expect([...inbound.depositAddresses]).toEqual(['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', '0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae']);
    expect(api.depositAddresses).toEqual(inbound.depositAddresses);
  });

  it('stops start-up on a bad or missing file, naming the file and the line', () => {
    const bad = file('bad.txt', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\nbc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx\n');
    expect(() => loadInboundConfig({ ...base, DEPOSIT_ADDRESSES_FILE: bad })).toThrow(ConfigError);
    expect(() => loadInboundConfig({ ...base, DEPOSIT_ADDRESSES_FILE: bad })).toThrow(`invalid deposit-address list: ${bad}: line 2: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx" is not an address`);
    expect(() => loadApiConfig({ ...base, DEPOSIT_ADDRESSES_FILE: join(folder, 'missing.txt') })).toThrow(/missing\.txt: cannot be read \(ENOENT\)/);
  });
});
