import { readFileSync } from 'node:fs';
import { parseSlaPolicyText, SlaPolicyError, type SlaPolicy } from './policy';

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
