// Structured JSON logs (pino) for every component. Child loggers carry context (component,
// object key, task uuid) so every line says what it is about.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(component: string): Logger {
  return pino({
    level: process.env['LOG_LEVEL'] ?? 'info',
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Error details for a log line or a status message, without losing the cause. */
export function errorInfo(err: unknown): { message: string; name?: string; code?: unknown; stack?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { message: err.message, name: err.name, ...(code !== undefined ? { code } : {}), ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { message: String(err) };
}
