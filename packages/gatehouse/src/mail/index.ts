// Node-only: the file mailer writes to the file system and the SMTP mailer opens sockets.
export { createFileMailer, readOutbox } from './file.js';
export { createSmtpMailer } from './smtp.js';
export type { MailMessage, Mailer, OutboxMessage } from './types.js';
