// Classifying @aws-sdk v3 errors: the same failure has different names across protocols/emulators.
export function awsErrorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.name === 'string') return e.name;
    if (typeof e.code === 'string') return e.code;
  }
  return 'Error';
}

export function awsStatus(err: unknown): number | undefined {
  const s = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}

export function isQueueMissing(err: unknown): boolean {
  const n = awsErrorName(err);
  return n === 'QueueDoesNotExist' || n === 'AWS.SimpleQueueService.NonExistentQueue' || n === 'NonExistentQueue';
}

export function isAccessDenied(err: unknown): boolean {
  const n = awsErrorName(err);
  return n === 'AccessDenied' || n === 'AccessDeniedException' || n === 'Forbidden' || awsStatus(err) === 403;
}

/** One line for a condition message: "<Name>: <message>". */
export function awsErrorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const name = awsErrorName(err);
  return msg && msg !== name && msg !== 'UnknownError' ? `${name}: ${msg}` : `${name} (HTTP ${awsStatus(err) ?? '?'})`;
}
