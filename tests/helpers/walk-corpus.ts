import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_ROOT } from './corpus';

/** Corpus files that are messages: the parse-tree `.json`, licences and readmes beside them are not. */
const NOT_A_MESSAGE = /(\.json|\.md|\.rs|\.toml)$|(^|\/)(LICENSE|COPYING|README)[^/]*$/i;

/** Every message file under a corpus folder, recursively, sorted. */
export function walkCorpus(folder: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((entry) => {
        const path = join(dir, entry);
        return statSync(path).isDirectory() ? walk(path) : NOT_A_MESSAGE.test(path) ? [] : [path];
      });
  return walk(join(CORPUS_ROOT, folder));
}
