import { defineConfig } from 'vitest/config';

// Unit tests live next to the code; cross-service and broker tests live under test/ and in *.conformance.test.ts.
export default defineConfig({
  test: {
    // Broker suites share one RabbitMQ and one Kafka and restart them: run test files one at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          exclude: ['**/*.conformance.test.ts', '**/*.integration.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'packages/*/src/**/*.conformance.test.ts',
            'packages/*/src/**/*.integration.test.ts',
            'services/*/src/**/*.integration.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
