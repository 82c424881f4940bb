/**
 * `npm start` with a bad deposit-address list stops before starting anything, naming the line, as a bad SLA
 * policy does.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/corpus';

describe('npm start with DEPOSIT_ADDRESSES_FILE', () => {
  it('refuses a list with an entry that is not an address, naming the file and the line', async () => {
    // Prepare
    const folder = mkdtempSync(join(tmpdir(), 'deposit-start-'));
    const bad = join(folder, 'deposit.txt');
    writeFileSync(bad, 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\nsend it to my cousin\n');

    // Act
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'local-stack.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DEPOSIT_ADDRESSES_FILE: bad, DATA_DIR: join(folder, 'data'), LOCAL_DEMO: '0' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );

    // Assess
    expect(run?.code).toBe(2);
    expect(run?.stderr).toContain(`concierge: invalid deposit-address list: ${bad}: line 2: "send it to my cousin" is not an address`);
    expect(run?.stdout).not.toContain('Starting Concierge');
  });
});
