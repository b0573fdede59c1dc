import { formatDuration } from '../../functions/drill/verdict';

/** Where a command writes: its result (stdout), progress and notes (stderr with --json, else stdout). */
export interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  /** --json: stdout carries one JSON document and nothing else. */
  readonly json: boolean;
}

export const line = (stream: NodeJS.WritableStream, text = '') => stream.write(`${text}\n`);

/** Progress and notes: never on stdout when stdout is for JSON. */
export const progressStream = (io: Io) => (io.json ? io.err : io.out);

export const duration = (seconds: number) => formatDuration(seconds);

/** Label-value rows, the labels padded to one column. */
export function rows(entries: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...entries.map(([label]) => label.length)) + 2;
  return entries.map(([label, value]) => `${indent}${label.padEnd(width)}${value}`).join('\n');
}

export function writeJson(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}
