import nodemailer from 'nodemailer';

import { assertHeaderValue, type Mailer } from './types.js';

/**
 * SMTP through nodemailer (`nodemailer.createTransport(url)`), `from` from options.
 *
 * The URL carries the server, credentials and TLS choice: `smtps://` for implicit TLS, or
 * `smtp://` with STARTTLS when the server offers it. Add `?requireTLS=true` to an `smtp://` URL
 * to refuse a server that does not offer STARTTLS rather than send in clear text.
 *
 * @example createSmtpMailer('smtps://user:pass@smtp.example.com', { from: 'no-reply@example.com' })
 */
export function createSmtpMailer(url: string, options: { from: string }): Mailer {
  assertHeaderValue('From', options.from);
  const { from } = options;
  const transport = nodemailer.createTransport(url);

  return {
    async send({ to, subject, text }) {
      // nodemailer encodes header values itself; refusing line breaks here keeps the rule the
      // same for every mailer, and keeps a crafted value from reaching the transport at all.
      assertHeaderValue('To', to);
      assertHeaderValue('Subject', subject);
      await transport.sendMail({ from, to, subject, text });
    },
  };
}
