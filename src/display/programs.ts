import { readFileSync } from 'node:fs';
import type { ScreenStatus } from './screens.js';
import { SRC_DIR } from '../paths.js';

/** The Python files under packaging/badger: what runs on the Badger, and the stand-in the preview draws with. */
const BADGER_DIR = new URL('../../packaging/badger/', SRC_DIR);
const badgerFile = (name: string) => readFileSync(new URL(name, BADGER_DIR), 'utf8');

export const boardProgram = () => badgerFile('odbackup_screen.py');
export const standInModule = () => badgerFile('badger2040_standin.py');

/** Where main.py puts the launcher it replaces, so that Badger OS can be had back. */
export const KEPT_MAIN = 'main_badgeros.py';

/** A Python expression for a value: a JSON literal inside a quoted string (JSON text is a valid Python string body). */
function pythonValue(value: unknown): string {
  return `json.loads(${JSON.stringify(JSON.stringify(value))})`;
}

/** Draws a status, stores it on the board for main.py, and prints {"held": [buttons]} as its last line. */
export function showProgram(status: ScreenStatus): string {
  return `${boardProgram()}\nimport json\nshow(${pythonValue(status)})\n`;
}

/**
 * Writes the screen program and main.py onto the flash (each atomically), keeping a main.py that is not ours as
 * main_badgeros.py, then draws what main.py will draw at power-up. Prints {"kept": name or null}.
 */
export function installProgram(): string {
  const files = { 'odbackup_screen.py': boardProgram(), 'main.py': badgerFile('main.py') };
  return `${boardProgram()}
import json
files = ${pythonValue(files)}
kept = None
try:
    with open("main.py") as f:
        current = f.read()
    if not current.startswith("# odbackup"):
        write_atomically(${JSON.stringify(KEPT_MAIN)}, current)
        kept = ${JSON.stringify(KEPT_MAIN)}
except OSError:
    pass
for name in ("odbackup_screen.py", "main.py"):
    write_atomically(name, files[name])
redraw()
print(json.dumps({"kept": kept}))
`;
}
