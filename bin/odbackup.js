#!/usr/bin/env node
// The one place where the exit code is set: main() returns it, so piped --json output is always whole.
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv);
