import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { listDirectory, writeFileAtomically } from '../files.js';

import { assertHeaderValue, type MailMessage, type Mailer, type OutboxMessage } from './types.js';

const EXTENSION = '.eml';

/**
 * The embedded default: each message a file in `dir` (mkdir 0o700, files 0o600), named
 * `<ISO time>-<random>.eml`, RFC 5322 text with To/From/Subject/Date/Message-ID headers (header
 * values must not contain CR/LF — refuse with an Error otherwise: header injection). Written
 * atomically (temp + rename).
 *
 * The time in the name is ISO 8601's basic format (`20250301T120000.000Z`): the extended format's
 * colons are not allowed in Windows file names. A `dir` that exists with group or other access is
 * refused, since the messages carry password reset links.
 *
 * @example createFileMailer('.data/outbox', { from: 'Gatehouse <no-reply@example.com>' })
 */
export function createFileMailer(dir: string, options: { from: string }): Mailer {
  assertHeaderValue('From', options.from);
  const { from } = options;
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';

  let ready: Promise<void> | undefined;
  // Names sort by time, so one mailer never reuses a millisecond: two messages sent within one
  // keep their order when the outbox is read back.
  let last = 0;

  return {
    async send({ to, subject, text }) {
      assertHeaderValue('To', to);
      assertHeaderValue('Subject', subject);
      // Only success is remembered: after a failure the next send tries the directory again.
      await (ready ??= prepareDirectory(dir).catch((error: unknown) => {
        ready = undefined;
        throw error;
      }));

      last = Math.max(Date.now(), last + 1);
      const date = new Date(last);
      const random = randomBytes(8).toString('hex');
      const name = `${date.toISOString().replace(/[-:]/g, '')}-${random}${EXTENSION}`;
      const headers = [
        `From: ${from}`,
        `To: ${to}`,
        `Subject: ${subject}`,
        `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
        `Message-ID: <${random}.${last}@${domain}>`,
        'MIME-Version: 1.0',
        // RFC 6532 allows UTF-8 in header values as well, so non-ASCII subjects go in as they are.
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
      ];
      const body = text.replace(/\r\n?|\n/g, '\r\n');
      await writeFileAtomically(dir, name, `${headers.join('\r\n')}\r\n\r\n${body}`);
    },
  };
}

/** Reads the outbox (for tests and for `gatehouse mail list`): messages oldest first. */
export async function readOutbox(dir: string): Promise<OutboxMessage[]> {
  // No directory yet means no mail has been sent yet.
  const names = await listDirectory(dir);

  // Temporary files start with a dot and end in .tmp, so a message half-written is never read.
  const files = names.filter((name) => name.endsWith(EXTENSION) && !name.startsWith('.')).sort();
  return Promise.all(
    files.map(async (file) => parseMessage(file, await readFile(join(dir, file), 'utf8'))),
  );
}

async function prepareDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dir);
  // mkdir leaves an existing directory's mode alone; POSIX modes mean little on Windows.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error('The mail outbox directory must not be accessible to group or others (0700)');
  }
}

function parseMessage(file: string, raw: string): OutboxMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);

  const headers = new Map<string, string>();
  // RFC 5322 §2.2.3: a line starting with white space continues the previous header.
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }

  const header = (name: string): string => {
    const value = headers.get(name);
    if (value === undefined) throw new Error(`Outbox file ${file} has no ${name} header`);
    return value;
  };
  const date = new Date(header('date'));
  if (Number.isNaN(date.getTime())) throw new Error(`Outbox file ${file} has an invalid date`);

  const message: MailMessage = {
    to: header('to'),
    subject: header('subject'),
    text: body.replace(/\r\n/g, '\n'),
  };
  return { ...message, date: date.toISOString(), file };
}
