#!/usr/bin/env node
/**
 * The `express-workflow-sessions` command (the package's `bin`): `express-workflow-sessions serve <database>`.
 * See `--help` and docs/serve.md.
 */
import { runCommand } from "./serve-command.js";

process.exitCode = await runCommand(process.argv.slice(2));
