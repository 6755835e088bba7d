// Structured JSON logs (pino); `text` renders the same records for people (make dev), in-process so
// there is no second process whose death could block the operator's stdout. pino-pretty is loaded only
// for `text`: a deployed operator logs JSON and need not carry the renderer in memory.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type pretty from 'pino-pretty';

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
    const render = createRequire(import.meta.url)('pino-pretty') as typeof pretty;
    return pino(settings, render({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(settings);
}

/** A logger that drops everything; the default for library pieces used without a manager. */
export const silentLogger: Logger = pino({ level: 'silent' });
