/**
 * Structured logging: one line per event, `time level [node] message key=value…`, or JSON lines with
 * `json: true`. Callers pass fields, never strings built from untrusted peer data, and never secrets.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function fieldValue(v: unknown): string {
  const text = typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  // Keep lines single-line and bounded whatever a value holds.
  return (text ?? 'undefined').replace(/[\r\n]+/g, ' ').slice(0, 200);
}

export function createLogger(options: {
  name: string;
  level?: LogLevel;
  json?: boolean;
  write?: (line: string) => void;
}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return (level, message, fields = {}) => {
    if (ORDER[level] < min) return;
    const time = new Date().toISOString();
    if (options.json) {
      write(
        JSON.stringify({ time, level, node: options.name, message, ...fields }, (_k, v) =>
          typeof v === 'bigint' ? v.toString() : v,
        ),
      );
      return;
    }
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${fieldValue(v)}`)
      .join(' ');
    write(`${time} ${level.toUpperCase().padEnd(5)} [${options.name}] ${message}${rest ? ` ${rest}` : ''}`);
  };
}
