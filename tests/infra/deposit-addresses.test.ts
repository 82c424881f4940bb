/**
 * The `depositAddressesFile` parameter: checked at synth and compiled into the functions that relay staff
 * answers (inbound and the API), so the outbound guard on AWS allows exactly the published addresses.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_DEPOSIT_ADDRESSES_DEFINE } from '../../functions/secrets/deposit-address-file';
import { ConciergeFunction } from '../../lib/concierge-function';
import { ConciergeStack } from '../../lib/concierge-stack';
import { readParameters } from '../../lib/parameters';
import { bundledProbe } from '../helpers/bundled-probe';
import { PROJECT_ROOT } from '../helpers/corpus';

const cdkContext = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const ENV = { account: '123456789012', region: 'eu-west-1' };
const LIST = '# published deposit addresses\nbc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq  # BTC\n0xDE0B295669a9FD93d5F28D9Ec85E40f4cb697BAe  # ETH\n';

const workDir = mkdtempSync(join(tmpdir(), 'concierge-deposit-infra-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function listFile(name: string, text: string): string {
  const path = join(workDir, name);
  writeFileSync(path, text);
  return path;
}

function buildStack(extraContext: Record<string, unknown> = {}): ConciergeStack {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...extraContext } });
  return new ConciergeStack(app, 'Concierge', { parameters: readParameters((key) => app.node.tryGetContext(key)), env: ENV });
}

const functionsOf = (stack: Stack) => new Map(stack.node.findAll().filter((c): c is ConciergeFunction => c instanceof ConciergeFunction).map((fn) => [fn.node.id, fn]));

describe('the depositAddressesFile parameter', () => {
  it('compiles the file’s text, as written, into inbound and the API, which relay staff answers, and nowhere else', () => {
    // Prepare
    const file = listFile('deposit.txt', LIST);

    // Act
    const functions = functionsOf(buildStack({ depositAddressesFile: file }));

    // Assess
    for (const id of ['Inbound', 'Api']) expect(functions.get(id)?.bundlingDefine, id).toEqual({ [BUNDLED_DEPOSIT_ADDRESSES_DEFINE]: JSON.stringify(LIST) });
    for (const [id, fn] of functions) if (id !== 'Inbound' && id !== 'Api') expect(fn.bundlingDefine[BUNDLED_DEPOSIT_ADDRESSES_DEFINE], id).toBeUndefined();
  });

  it('compiles nothing in when the parameter is not set: no address may be named', () => {
    for (const [id, fn] of functionsOf(buildStack())) expect(fn.bundlingDefine[BUNDLED_DEPOSIT_ADDRESSES_DEFINE], id).toBeUndefined();
  });

  it('takes a path relative to the project', () => {
    const relative = join('tests', 'fixtures', 'staff-replies', 'deposit-addresses.example.txt');
    const parameters = readParameters((key) => ({ ...cdkContext, depositAddressesFile: relative })[key]);
    expect(parameters.depositAddresses).toEqual({ file: join(PROJECT_ROOT, relative), text: readFileSync(join(PROJECT_ROOT, relative), 'utf8') });
  });

  it('refuses a file with an entry that is not an address, or that is missing, naming the file and the line', () => {
    const bad = listFile('bad.txt', `${LIST}bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx\n`);
    expect(() => readParameters((key) => ({ ...cdkContext, depositAddressesFile: bad })[key])).toThrow(
      `Concierge parameters: depositAddressesFile: ${bad}: line 4: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx" is not an address`,
    );
    const missing = join(workDir, 'missing.txt');
    expect(() => readParameters((key) => ({ ...cdkContext, depositAddressesFile: missing })[key])).toThrow(`depositAddressesFile: ${missing}: cannot be read (ENOENT)`);
  });

  it('makes `cdk synth` fail on a bad file with the line of the mistake, and write no template', async () => {
    // Prepare: the app run as the CDK CLI runs it
    const bad = listFile('typo.txt', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb\n');
    const outdir = join(workDir, 'cdk.out');

    // Act
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'concierge.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, depositAddressesFile: bad, 'aws:cdk:bundling-stacks': [] }) },
    });

    // Assess
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain(`${bad}: line 1: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb" is not an address`);
    expect(existsSync(join(outdir, 'Concierge.template.json'))).toBe(false);
  });
});

describe('a function bundled with a deposit-address list', () => {
  it('allows exactly the listed addresses, read from the bundle, not from a file', async () => {
    // Act: one ConciergeFunction, bundled by CDK as `cdk synth` bundles
    const { module: bundled } = await bundledProbe<() => Promise<string[]>>(join(workDir, 'bundled'), join(PROJECT_ROOT, 'tests', 'infra', 'fixtures', 'bundled-deposit-addresses.ts'), { depositAddressesText: LIST });

    // Assess: this process has no CONCIERGE_BUNDLED_DEPOSIT_ADDRESSES; the bundle carries the list
    expect(process.env.CONCIERGE_BUNDLED_DEPOSIT_ADDRESSES).toBeUndefined();
    expect(await bundled.handler()).toEqual(['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', '0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae']);
  });
});
