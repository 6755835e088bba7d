// Structured JSON logs (pino); `text` renders the same records for people (make dev), in-process so
// there is no second process whose death could block the operator's stdout.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'text';

export function newLogger(options: { level?: string; name?: string; format?: LogFormat } = {}): Logger {
  const settings = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    ...(options.name ? { name: options.name } : {}),
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (options.format === 'text') {
    return pino(settings, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(settings);
}

/** A logger that drops everything; the default for library pieces used without a manager. */
export const silentLogger: Logger = pino({ level: 'silent' });
