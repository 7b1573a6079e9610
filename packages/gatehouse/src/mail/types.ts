/** One plain-text message; `from` belongs to the mailer, not the message. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Sends mail; resolves once the message is handed over (written to the outbox, or accepted). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** A message read back from a file outbox. */
export interface OutboxMessage extends MailMessage {
  /** The Date header, as an ISO 8601 UTC string. */
  readonly date: string;
  /** The file's name inside the outbox directory. */
  readonly file: string;
}

const LINE_BREAK = /[\r\n]/;

/**
 * Throws unless `value` is fit for a header: a CR or LF would end the header and let the rest of
 * the value add headers or a body of its own (header injection). The message names the header,
 * never the value, which may be attacker-supplied.
 */
export function assertHeaderValue(name: string, value: string): void {
  if (LINE_BREAK.test(value)) {
    throw new TypeError(`The ${name} header must not contain CR or LF`);
  }
}
