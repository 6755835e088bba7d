// Structured JSON logs (pino). `make dev` pipes them through pino-pretty for people.
import { pino, type Logger } from 'pino';

export type { Logger };

export function newLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    ...(options.name ? { name: options.name } : {}),
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that drops everything; the default for library pieces used without a manager. */
export const silentLogger: Logger = pino({ level: 'silent' });
