#!/usr/bin/env -S node --max-semi-space-size=1
// The #! line's node options are the program's: the package's /usr/bin/odbackup runs node with the same ones. A
// 1 MiB young generation: what the main thread allocates per file (names, manifest lines) dies young, and the
// default's 16 MiB semi-spaces would be resident memory the node never needs.
// The one place where the exit code is set: main() returns it, so piped --json output is always whole.
import { main } from '../dist/src/cli.js';

// A reader that stopped reading (`odbackup --help | head -3`) ends the output, not the program with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

process.exitCode = await main(process.argv);
