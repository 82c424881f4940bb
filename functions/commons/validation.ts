/**
 * The validation library the functions use: zod's tree-shakable build, imported as a namespace
 * (`import * as z from '…/validation'`) so the bundler keeps only the checks a schema uses. The full build is
 * 450 KB minified and was the largest part of the API bundle's cold start. The English messages are loaded
 * so errors still say what was wrong.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
