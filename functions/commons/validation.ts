/**
 * The validation library the functions use: zod's tree-shakable build. The full build is 450 KB minified and
 * was the largest part of the API bundle's cold start; this one brings only the checks a schema uses, plus
 * the English messages, so errors still say what was wrong.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

export { z };
