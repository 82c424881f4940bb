import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // One DynamoDB Local and S3 server for the run, started when a test stack first asks for them.
    globalSetup: ['tests/helpers/shared-stand-ins.ts'],
    // Timeouts catch hangs, not slowness: generous enough that a machine busy with other work passes.
    testTimeout: 240_000,
    // Most of an integration or end-to-end test waits on another process (Java, npm start, the CLI): two
    // files at a time keep two cores busy where the default (cores - 1) leaves one idle.
    maxWorkers: 2,
    hookTimeout: 240_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
