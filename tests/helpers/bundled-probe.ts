/**
 * One ConciergeFunction bundled by CDK exactly as `cdk synth` bundles it, then imported: for tests of what a
 * deployed bundle carries (a policy or list compiled in by esbuild's `define`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConciergeFunction, type ConciergeFunctionProps } from '../../lib/concierge-function';

const ENV = { account: '123456789012', region: 'eu-west-1' };

export async function bundledProbe<Handler>(
  outdir: string,
  entry: string,
  props: Partial<ConciergeFunctionProps>,
): Promise<{ bundleDir: string; module: { handler: Handler } }> {
  const app = new App({ outdir });
  const stack = new Stack(app, 'ProbeBundle', { env: ENV });
  new ConciergeFunction(stack, 'Probe', { entry, memorySize: 128, timeout: Duration.seconds(3), logRetention: RetentionDays.ONE_DAY, ...props });
  const assembly = app.synth();
  const [bundleDir] = readdirSync(assembly.directory)
    .map((directory) => join(assembly.directory, directory))
    .filter((directory) => existsSync(join(directory, 'index.mjs')));
  if (!bundleDir) throw new Error(`no bundle in ${assembly.directory}`);
  return { bundleDir, module: (await import(pathToFileURL(join(bundleDir, 'index.mjs')).href)) as { handler: Handler } };
}
