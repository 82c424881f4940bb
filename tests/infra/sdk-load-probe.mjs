/**
 * Imports the modules named in PROBE_ENTRIES (a JSON array), lets the process finish what they started (a
 * CDK app synthesizes on `beforeExit`), then writes to PROBE_REPORT every loaded file of an `@aws-sdk`
 * package. The SDK's packages are CommonJS, so whatever loads them, ESM import or require, lands in
 * require.cache.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const report = process.env.PROBE_REPORT;
const entries = JSON.parse(process.env.PROBE_ENTRIES ?? '[]');
if (!report || entries.length === 0) throw new Error('PROBE_REPORT and PROBE_ENTRIES are required');

process.on('exit', () => {
  const sdkFiles = Object.keys(require.cache).filter((file) => /[\\/]node_modules[\\/]@aws-sdk[\\/]/.test(file));
  writeFileSync(report, JSON.stringify(sdkFiles));
});
for (const entry of entries) await import(entry);
