// Readable job progress from a client's CT messages, for ct-poller and the local stack command:
// activities are named after what they make ("VIDEO sd.mp4", "HLS master.m3u8 720p") instead of
// task uuids. The names are learnt from the messages themselves (JOB_STARTED carries the job
// description, ACTIVITY_STARTED the output and the task name). ProgressBoard is pure (unit
// tested); LiveProgress draws one line per activity on a terminal and plain lines elsewhere.
import type { OutputSpec } from '../lib/schema/ct-job.js';

export interface CtLike {
  type: string;
  job_id?: string | null;
  data?: unknown;
}

interface Activity {
  activityId?: string;
  activityType?: { name?: string };
  input?: { output?: Partial<OutputSpec>; output_index?: number; task?: string };
  progress?: number;
  reason?: string;
  details?: string;
}

export interface ActivityRow {
  id: string;
  label: string;
  progress: number;
  state: string;
}

const END_TYPES = new Set(['JOB_COMPLETED', 'JOB_FAILED', 'JOB_CANCELED']);
const STATES: Record<string, string> = {
  ACTIVITY_STARTED: 'started',
  ACTIVITY_PREPARING: 'preparing',
  ACTIVITY_PROGRESS: 'running',
  ACTIVITY_FINISHING: 'finishing',
  ACTIVITY_COMPLETED: 'done',
  ACTIVITY_FAILED: 'failed',
  ACTIVITY_TIMEOUT: 'timed out, retrying',
  ACTIVITY_CANCELED: 'canceled',
};

const basename = (file: string) => file.slice(file.lastIndexOf('/') + 1);

/** "VIDEO sd.mp4"; an HLS rendition task adds its height ("HLS master.m3u8 720p"). */
export function outputLabel(output: Partial<OutputSpec> | undefined, taskName?: string): string | undefined {
  if (!output?.output_type || !output.output_file) return undefined;
  const base = `${output.output_type} ${basename(output.output_file)}`;
  // Task names are "output <i> <TYPE>[ <detail>]" (operator/job/plan.ts): keep the detail.
  const detail = taskName?.match(/^output \d+ [A-Z]+ (.+)$/)?.[1];
  return detail ? `${base} ${detail}` : base;
}

export class ProgressBoard {
  private outputs: Partial<OutputSpec>[] = [];
  private readonly rows = new Map<string, ActivityRow>();

  constructor(outputs?: Partial<OutputSpec>[]) {
    if (outputs) this.outputs = outputs;
  }

  /** Current rows, in the order activities first appeared. */
  get activities(): ActivityRow[] {
    return [...this.rows.values()];
  }

  private row(a: Activity): ActivityRow | undefined {
    const id = a.activityId;
    if (!id) return undefined;
    let row = this.rows.get(id);
    const learnt =
      a.activityType?.name === 'ValidateInputAndAsset'
        ? 'validate input'
        : outputLabel(
            a.input?.output ?? (a.input?.output_index !== undefined ? this.outputs[a.input.output_index] : undefined),
            a.input?.task,
          );
    if (!row) {
      row = { id, label: learnt ?? `activity ${id.slice(0, 8)}`, progress: 0, state: 'pending' };
      this.rows.set(id, row);
    } else if (learnt) row.label = learnt;
    return row;
  }

  /** Takes in one message; returns its plain one-line description. */
  feed(msg: CtLike): string {
    const data = (msg.data ?? {}) as {
      workflow?: { input?: { outputs?: Partial<OutputSpec>[] } };
      activity?: Activity;
      reason?: string;
      details?: string;
    };
    if (msg.type === 'JOB_STARTED' && Array.isArray(data.workflow?.input?.outputs)) this.outputs = data.workflow.input.outputs;
    const a = data.activity;
    const row = a ? this.row(a) : undefined;
    if (!row || !a) {
      const why = END_TYPES.has(msg.type) && msg.type !== 'JOB_COMPLETED' && data.reason ? ` ${data.reason}: ${data.details ?? ''}` : '';
      return `${msg.type}${msg.job_id ? ` ${msg.job_id}` : ''}${why}`;
    }
    row.state = STATES[msg.type] ?? msg.type;
    if (msg.type === 'ACTIVITY_PROGRESS' && typeof a.progress === 'number')
      row.progress = Math.max(0, Math.min(100, Math.round(a.progress)));
    if (msg.type === 'ACTIVITY_COMPLETED') row.progress = 100;
    if (msg.type === 'ACTIVITY_TIMEOUT') row.progress = 0;
    const tail =
      msg.type === 'ACTIVITY_PROGRESS' ? ` ${row.progress} %` : a.reason ? ` ${a.reason}${a.details ? `: ${a.details}` : ''}` : '';
    return `${msg.type} ${row.label}${tail}`;
  }
}

/** One terminal line for an activity: label, a bar, percent and state. */
export function formatRow(row: ActivityRow, labelWidth: number, barWidth = 20): string {
  const filled = Math.round((row.progress / 100) * barWidth);
  return `  ${row.label.padEnd(labelWidth)} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${String(row.progress).padStart(3)} % ${row.state}`;
}

/** Prints a board: on a TTY a block of live lines redrawn in place; otherwise one plain line per message. */
export class LiveProgress {
  readonly board: ProgressBoard;
  private drawn = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    outputs?: Partial<OutputSpec>[],
    private readonly indent = '  ',
  ) {
    this.board = new ProgressBoard(outputs);
  }

  get live(): boolean {
    return this.out.isTTY === true;
  }

  feed(msg: CtLike): void {
    const line = this.board.feed(msg);
    if (!this.live) {
      this.out.write(`${this.indent}${line}\n`);
      return;
    }
    // Messages without an activity (job start and end) are printed above the live block.
    const isActivity = (msg.data as { activity?: unknown } | undefined)?.activity !== undefined;
    this.erase();
    if (!isActivity) this.out.write(`${this.indent}${line}\n`);
    this.draw();
  }

  private erase(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const rows = this.board.activities;
    const width = Math.max(0, ...rows.map((r) => r.label.length));
    for (const r of rows) this.out.write(`${formatRow(r, width)}\n`);
    this.drawn = rows.length;
  }
}
