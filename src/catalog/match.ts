/**
 * The one rule by which a query finds paths, in `odbackup find` and on the catalog's page alike: this module is
 * also published beside the page as match.js, so it imports nothing.
 *   - plain words (no * ? [ {): a part of the path, letters of either case (`cat` finds drawings/jim/cat.png);
 *   - a glob: `*` and `?` within a folder's name, `**` across folders, `[abc]`, `[!abc]`, `{png,dxf}`; without a slash
 *     it matches the file name at any depth (`*.png`), with one the whole path from the source's root.
 * A name may be text (the page) or bytes one character each (the node): a query in the same form matches the same.
 */

const SPECIAL = /[*?[{]/;
const escapeChar = (char: string) => char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The index of the brace that closes the one at `open`, or -1. */
function closingBrace(glob: string, open: number): number {
  for (let depth = 0, i = open; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The alternatives between a pair of braces, split at the commas of their own level. */
function alternatives(body: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let depth = 0, i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '{') depth++;
    else if (body[i] === '}') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, body.slice(start)];
}

function globSource(glob: string): string {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else source += '.*';
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end);
      source += `[${body[0] === '!' ? `^${body.slice(1)}` : body}]`.replace(/\\/g, '\\\\');
      i = end;
    } else if (char === '{' && closingBrace(glob, i) > 0) {
      const end = closingBrace(glob, i);
      source += `(?:${alternatives(glob.slice(i + 1, end)).map(globSource).join('|')})`;
      i = end;
    } else if (char === '\\' && i + 1 < glob.length) source += escapeChar(glob[++i]!);
    else source += escapeChar(char);
  }
  return source;
}

/** Whether a name matches the query: compiled once, tested per line of every snapshot. */
export function pathMatcher(query: string): (name: string) => boolean {
  if (!SPECIAL.test(query)) {
    const words = new RegExp([...query].map((char) => (/[a-z]/i.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : escapeChar(char))).join(''), 's');
    return (name) => words.test(name);
  }
  const pattern = new RegExp(`^${globSource(query)}$`, 's');
  return query.includes('/') ? (name) => pattern.test(name) : (name) => pattern.test(name.slice(name.lastIndexOf('/') + 1));
}

/**
 * A text every matching name holds, letters of either case: the longest literal run outside braces and classes.
 * The page reads only the lines that hold it (the browser's own text search skips the rest).
 */
export function requiredText(query: string): string {
  if (!SPECIAL.test(query)) return query;
  const outside = query.replace(/\{[^]*\}|\[[^\]]*\]/g, '*');
  return outside.split(/[*?]+/).sort((a, b) => b.length - a.length)[0] ?? '';
}
