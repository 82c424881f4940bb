import { join } from 'node:path';

/** The handler file of a function, by its path under `functions/`. */
export function functionEntry(...pathUnderFunctions: string[]): string {
  return join(import.meta.dirname, '..', '..', 'functions', ...pathUnderFunctions);
}
