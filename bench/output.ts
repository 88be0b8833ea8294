/**
 * How a benchmark reports: one JSON object per line on stdout (the figures, nothing else), progress
 * on stderr, and the median of its rounds.
 */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One figure, as a JSON line on stdout. */
export function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/** Progress for the person watching, on stderr (stdout stays machine-readable). */
export function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
