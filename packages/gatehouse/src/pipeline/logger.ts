/**
 * The logging surface the library writes to. It matches pino's `(object, message)` call shape,
 * so a pino logger can be passed as it is; the library never writes to the console itself.
 */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything: the default, so the library is silent unless given one. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
