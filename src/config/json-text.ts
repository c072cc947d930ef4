/**
 * JSON as a person or another machine wrote it: what JSON.parse does not say (keys given twice, nesting too deep),
 * where a syntax error is, and the byte order mark some Windows editors write. The configuration, a restore request
 * and a catalog copy are all read through it.
 */

export interface JsonProblem {
  /** Where in the document, as `sources[1].name`; empty for the whole document. */
  path: string;
  message: string;
  hint?: string;
}

/** A byte order mark (Windows Notepad writes one) is not part of the JSON. */
export function withoutBom(text: string): string {
  return text.replace(/^\uFEFF/, '');
}

/**
 * A small scanner over the text (strings with their escapes, the nesting of objects and arrays), which no depth can
 * overflow: a document nested past maxDepth (every later walk over the parsed document would recurse that deep), and
 * keys given twice in one object (JSON.parse silently keeps the last, so the first looks set and is not).
 */
export function jsonStructureProblems(text: string, maxDepth: number): JsonProblem[] {
  const problems: JsonProblem[] = [];
  const stack: { keys: Set<string> | undefined; path: string; index: number; key?: string }[] = [];
  const pathOf = (frame: (typeof stack)[number] | undefined, key: string) => (frame && frame.path ? `${frame.path}.${key}` : key);
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const frame = stack.at(-1);
      if (expectKey && frame?.keys) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return problems; // not JSON: jsonSyntaxError says where
        }
        if (frame.keys.has(key)) problems.push({ path: pathOf(frame, key), message: 'is given twice in the same object', hint: 'the first one would be ignored: keep one' });
        frame.keys.add(key);
        frame.key = key;
        expectKey = false;
      }
      i = end;
    } else if (char === '{' || char === '[') {
      const parent = stack.at(-1);
      const path = parent ? (parent.keys ? pathOf(parent, parent.key ?? '') : `${parent.path}[${parent.index}]`) : '';
      if (stack.length === maxDepth) return [{ path, message: `nests objects and arrays more than ${maxDepth} levels deep` }];
      stack.push({ keys: char === '{' ? new Set() : undefined, path, index: 0 });
      expectKey = char === '{';
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',') {
      const frame = stack.at(-1);
      if (frame?.keys) expectKey = true;
      else if (frame) frame.index++;
    }
  }
  return problems;
}

export type ParsedJson = { value: unknown } | { where: string; reason: string };

/**
 * JSON.parse, with a syntax error as its place ("line 3, column 7") and JSON.parse's own words apart: those quote
 * the text, which a reader of someone else's file must not pass on.
 */
export function parseJsonText(text: string): ParsedJson {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
    let where = '';
    if (lineColumn) where = `line ${lineColumn[1]}, column ${lineColumn[2]}`;
    else if (position) {
      const before = text.slice(0, Number(position[1]));
      where = `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    return { where, reason: message.replace(/ in JSON at position \d+.*$/, '') };
  }
}
