/**
 * `cdk synth` runs the app in Node on the engineer's machine: it must not load the AWS SDK, which only the
 * Lambda bundles need. The app is run as the CDK CLI runs it (context in CDK_CONTEXT_JSON, CDK_OUTDIR set so
 * it synthesizes on exit), in a fresh process, and the SDK files it loaded are listed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/corpus';

const PROBE = join(PROJECT_ROOT, 'tests', 'infra', 'sdk-load-probe.mjs');
const cdkContext = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const workDir = mkdtempSync(join(tmpdir(), 'concierge-synth-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the probe on `entries` in a fresh Node process (TypeScript through tsx) and returns the SDK files it loaded. */
async function sdkFilesLoadedBy(entries: string[], name: string): Promise<{ sdkFiles: string[]; outdir: string }> {
  const outdir = join(workDir, name);
  const report = join(workDir, `${name}.json`);
  await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      // Bundling runs esbuild in child processes; it is left out to spare the CPU, it loads nothing here.
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext, 'aws:cdk:bundling-stacks': [] }),
      PROBE_ENTRIES: JSON.stringify(entries),
      PROBE_REPORT: report,
    },
  });
  return { sdkFiles: JSON.parse(readFileSync(report, 'utf8')) as string[], outdir };
}

describe('synth without the AWS SDK', () => {
  it('the probe sees the SDK when something loads it', async () => {
    const { sdkFiles } = await sdkFilesLoadedBy(['@aws-sdk/client-dynamodb'], 'control');
    expect(sdkFiles.some((file) => file.includes('client-dynamodb'))).toBe(true);
  });

  it('the CDK app synthesizes the stack without loading any @aws-sdk module', async () => {
    // Act
    const { sdkFiles, outdir } = await sdkFilesLoadedBy([join(PROJECT_ROOT, 'bin', 'concierge.ts')], 'app');

    // Assess: the stack was really synthesized, and nothing of the SDK came with it
    expect(existsSync(join(outdir, 'Concierge.template.json'))).toBe(true);
    expect(sdkFiles).toEqual([]);
  });
});
