import { readFileSync } from 'node:fs';
import { DEFAULT_SLA_POLICY, parseSlaPolicyText, SlaPolicyError, type SlaPolicy } from './policy';

/** The policy in the file at `path` (`SLA_POLICY_FILE`); a file that cannot be read is named, like a bad one. */
export function loadSlaPolicyFile(path: string): SlaPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SlaPolicyError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseSlaPolicyText(text, path);
}

/**
 * The policy a deployed function carries: `cdk synth` reads and checks the file its `slaPolicyFile` parameter
 * names and bundles its text into each function under this name (esbuild `define`), so a Lambda reads no
 * file and a bad policy never reaches AWS.
 */
export const BUNDLED_SLA_POLICY_DEFINE = 'process.env.CONCIERGE_BUNDLED_SLA_POLICY';

/**
 * The desk's policy: the file `SLA_POLICY_FILE` names (locally), else the one bundled at synth, else the
 * defaults. Throws SlaPolicyError naming the mistake, so a bad policy stops start-up.
 */
export function loadConfiguredSlaPolicy(env: NodeJS.ProcessEnv = process.env): SlaPolicy {
  if (env.SLA_POLICY_FILE) return loadSlaPolicyFile(env.SLA_POLICY_FILE);
  const bundled = process.env.CONCIERGE_BUNDLED_SLA_POLICY;
  if (bundled) return parseSlaPolicyText(bundled, 'the bundled SLA policy');
  return DEFAULT_SLA_POLICY;
}
