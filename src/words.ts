// Counts and spans in words, as every output says them: plain functions of the base floor, for any module.

/** "1 file", "3 files", "1 entry", "2 entries": a count with its noun as people say it. */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

/** "40 min", "5 h", "3 days": a span as people say it. */
export function durationText(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
