// Progress of an ffmpeg run, read from its stderr status lines ("... time=00:00:01.23 ...").

/** `HH:MM:SS.ss` (or plain seconds) → seconds; undefined when not a time. */
export function timemarkToSeconds(mark: string): number | undefined {
  const m = /^(-)?(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$/.exec(mark.trim());
  if (!m) return undefined;
  if (m[1]) return 0; // ffmpeg prints negative times before the first output frame
  const parts = [m[2], m[3]].filter((p): p is string => p !== undefined).map(Number);
  const secs = Number(m[4]);
  const [h, min] = parts.length === 2 ? parts : parts.length === 1 ? [0, parts[0]!] : [0, 0];
  return h! * 3600 + min! * 60 + secs;
}

/** Output time reached in an ffmpeg stderr line, if it is a status line. */
export function parseProgressLine(line: string): number | undefined {
  const m = /\btime=\s*(-?[\d:.]+)/.exec(line);
  return m ? timemarkToSeconds(m[1]!) : undefined;
}

/** Percentage 0–100 (integer) of `doneSec` over `totalSec`; undefined when the total is unknown. */
export function percentOf(doneSec: number, totalSec: number | undefined): number | undefined {
  if (!totalSec || !Number.isFinite(totalSec) || totalSec <= 0) return undefined;
  return Math.max(0, Math.min(100, Math.floor((doneSec / totalSec) * 100)));
}

/**
 * Overall progress of a job made of several weighted steps (e.g. studio tasks, HLS then upload):
 * step i of n at p% → a single monotonic percentage.
 */
export class StepProgress {
  private current = 0;
  constructor(private readonly onChange: (percent: number) => void) {}

  /** Reports progress `p` (0–100) of step `index` among `count` equal steps. */
  step(index: number, count: number, p: number): void {
    const value = Math.floor(((index + Math.max(0, Math.min(100, p)) / 100) / count) * 100);
    if (value > this.current) {
      this.current = Math.min(100, value);
      this.onChange(this.current);
    }
  }

  get value(): number {
    return this.current;
  }
}
