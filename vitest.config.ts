import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // One DynamoDB Local and S3 server for the run, started when a test stack first asks for them.
    globalSetup: ['tests/helpers/shared-stand-ins.ts'],
    // Timeouts catch hangs, not slowness: generous enough that a machine busy with other work passes.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
