import { codeTable } from '../exit-codes.js';
import { table } from '../render.js';
import { ok, type Step } from './types.js';

export const codesStep: Step = {
  name: 'codes',
  summary: 'print the exit codes: the numbers the e-ink shows as FAILED (N)',
  locked: false,
  async run() {
    return ok(`${codeTable().length} exit codes`, codeTable());
  },
  render(result) {
    const rows = result.data as ReturnType<typeof codeTable>;
    return table(
      ['code', 'name', 'level', 'meaning'],
      rows.map((row) => [String(row.code), row.name, row.level, row.meaning]),
    );
  },
};
