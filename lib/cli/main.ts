#!/usr/bin/env node
/**
 * The `express-workflow-sessions` command (the package's `bin`): `express-workflow-sessions serve <database>`.
 * See `--help` and docs/serve.md.
 */
import { runCommand } from "./serve-command.js";

// No top-level await: the package keeps none, so every file of it stays require()-able.
void runCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
