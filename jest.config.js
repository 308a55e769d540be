import { createDefaultEsmPreset } from "ts-jest";

/** Jest runs in ESM mode (lit-html and @lit-labs/ssr are ESM-only); ts-jest transpiles TypeScript per file. */
export default {
  ...createDefaultEsmPreset({ tsconfig: "tsconfig.check.json" }),
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testTimeout: 30000,
  globalSetup: "<rootDir>/__tests__/postgres-cluster.ts",
  globalTeardown: "<rootDir>/__tests__/global-teardown.ts",
  reporters: ["default", "<rootDir>/scripts/summary-reporter.js"],
};
