#!/usr/bin/env node
// Entry point for `npx concierge`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
