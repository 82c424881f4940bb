#!/usr/bin/env node
// Entry point for `npx concierge`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

// The locked AWS SDK versions support Node 20; their notice about future versions is not the user's concern here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { run } = await import('./cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
