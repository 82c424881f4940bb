import { readFileSync } from 'node:fs';
import { DepositAddressFileError, parseDepositAddresses } from './crypto-addresses';

/** The addresses in the file at `path` (`DEPOSIT_ADDRESSES_FILE`); a file that cannot be read is named, like a bad one. */
export function loadDepositAddressFile(path: string): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DepositAddressFileError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseDepositAddresses(text, path);
}

/**
 * The list a deployed function carries: `cdk synth` reads and checks the file its `depositAddressesFile`
 * parameter names and bundles its text into the functions that relay staff answers under this name (esbuild
 * `define`), so a Lambda reads no file and a bad list never reaches AWS.
 */
export const BUNDLED_DEPOSIT_ADDRESSES_DEFINE = 'process.env.CONCIERGE_BUNDLED_DEPOSIT_ADDRESSES';

/**
 * The published deposit addresses a staff reply may name: the file `DEPOSIT_ADDRESSES_FILE` names (locally),
 * else the list bundled at synth, else none (every address is blocked). Throws DepositAddressFileError naming
 * the line of each mistake, so a bad list stops start-up.
 */
export function loadConfiguredDepositAddresses(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  if (env.DEPOSIT_ADDRESSES_FILE) return loadDepositAddressFile(env.DEPOSIT_ADDRESSES_FILE);
  const bundled = process.env.CONCIERGE_BUNDLED_DEPOSIT_ADDRESSES;
  if (bundled) return parseDepositAddresses(bundled, 'the bundled deposit-address list');
  return new Set();
}
