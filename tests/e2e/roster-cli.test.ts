/**
 * `npx concierge staff …` and `customers …` against the local stack, as an operator would run them: a roster
 * file with bad lines is refused whole with every line named; a BOM and CRLF file imports; the same file again
 * changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'roster-cli-'));
});
afterAll(async () => {
  await stack?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(stack.apiUrl, args);

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('npx concierge staff and customers', () => {
  let managerId = '';

  it('adds, lists, shows and updates staff', async () => {
    const added = await cli(['staff', 'add', '--name', 'Mia Chen', '--email', 'mia@desk.example', '--role', 'manager', '--capacity', '3', '--json']);
    expect(added.code).toBe(0);
    managerId = (JSON.parse(added.stdout) as { id: string }).id;
    await cli(['staff', 'add', '--name', 'Al Agent', '--email', 'al@desk.example', '--role', 'agent']);

    const listed = await cli(['staff', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${managerId}\\s+Mia Chen\\s+mia@desk.example\\s+manager\\s+active\\s+0/3`));
    const updated = await cli(['staff', 'update', managerId, '--status', 'away']);
    expect(updated.stdout).toContain('away');
    const bad = await cli(['staff', 'add', '--name', 'X', '--email', 'x@desk.example', '--role', 'boss']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected one of agent, manager, lead/);
  });

  it('adds, shows and updates a customer, the manager given by email', async () => {
    expect((await cli(['customers', 'add', 'solo@client.example', '--tier', 'vip', '--manager', 'mia@desk.example', '--anti-phishing-code', 'Solo_1'])).code).toBe(0);
    const shown = await cli(['customers', 'show', 'solo@client.example']);
    expect(shown.stdout).toContain(`manager ${managerId}`);
    expect(shown.stdout).toMatch(/- → st-[a-z2-7]{8}\s+by api/);
    const cleared = await cli(['customers', 'update', 'solo@client.example', '--clear-manager']);
    expect(cleared.stdout).toContain('manager -');
    const missing = await cli(['customers', 'show', 'nobody@client.example']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });

  it('refuses a file with bad lines whole, naming each line and why', async () => {
    const csv = file(
      'bad.csv',
      [
        'email,tier,manager,language,antiPhishingCode',
        'good1@client.example,vip,mia@desk.example,zh,Good_111',
        'not-an-address,vip,,,',
        'good2@client.example,gold,,,',
        'good1@client.example,vip,,,',
        'good3@client.example,vip,al@desk.example,,',
        'good4@client.example,vip,ghost@desk.example,en,x',
        '',
      ].join('\n'),
    );
    const result = await cli(['customers', 'import', csv]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad.csv:3: email:');
    expect(result.stderr).toContain('bad.csv:4: tier:');
    expect(result.stderr).toContain('bad.csv:5: email: good1@client.example is already on line 2');
    expect(result.stderr).toContain('bad.csv:6: manager: al@desk.example is an agent, not a manager');
    expect(result.stderr).toMatch(/bad\.csv:7: .*antiPhishingCode: 4 to 20 letters/);
    expect(result.stderr).toMatch(/bad\.csv:7: .*manager: ghost@desk\.example is not a staff member/);
    expect(result.stderr).toContain('5 of 6 lines are not valid; nothing was imported');
    expect((await cli(['customers', 'show', 'good1@client.example'])).code).toBe(1);
  });

  it('refuses a file that fills a manager past capacity', async () => {
    const lines = ['email,manager', ...[1, 2, 3, 4].map((n) => `cap${n}@client.example,mia@desk.example`)];
    const result = await cli(['customers', 'import', file('capacity.csv', lines.join('\n'))]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/capacity\.csv:2: manager: mia@desk\.example would have 4 clients, over their capacity of 3/);
  });

  it('imports a BOM and CRLF file, then says a second run changed nothing', async () => {
    const rows = ['Email,TIER,Manager,Language,AntiPhishingCode', 'li.wei@client.example,vip,mia@desk.example,zh,Tiger_88', 'sam@client.example,standard,,en,', 'ana@client.example,vip,MIA@desk.example,,'];
    const csv = file('roster.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${rows.join('\r\n')}\r\n`)]));

    const first = await cli(['customers', 'import', csv]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('3 lines: 3 created, 0 updated, 0 unchanged');
    const second = await cli(['customers', 'import', csv]);
    expect(second.stdout).toContain('3 lines: 0 created, 0 updated, 3 unchanged (nothing changed)');

    const customer = JSON.parse((await cli(['customers', 'show', 'li.wei@client.example', '--json'])).stdout) as { tier: string; managerId: string; language: string; antiPhishingCode: string; managerHistory: Array<{ by: string }> };
    expect(customer).toMatchObject({ tier: 'vip', managerId, language: 'zh', antiPhishingCode: 'Tiger_88' });
    expect(customer.managerHistory[0]?.by).toBe('import:roster.csv');
    expect((JSON.parse((await cli(['staff', 'show', managerId, '--json'])).stdout) as { vipBook: number }).vipBook).toBe(2);
  });

  it('refuses an unknown column and a file that is not UTF-8', async () => {
    const unknown = await cli(['customers', 'import', file('cols.csv', 'email,colour\na@client.example,red\n')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown column "colour"');
    const latin1 = await cli(['customers', 'import', file('latin1.csv', Buffer.from('email,tier\nj\xe9r\xf4me@client.example,vip\n', 'latin1'))]);
    expect(latin1.code).toBe(1);
    expect(latin1.stderr).toContain('not UTF-8');
  });
});
