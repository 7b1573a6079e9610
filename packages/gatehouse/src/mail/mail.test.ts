import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createFileMailer, createSmtpMailer, readOutbox } from './index.js';

const FROM = 'Gatehouse <no-reply@example.com>';
const message = { to: 'alice@example.com', subject: 'Reset your password', text: 'Hi,\nclick.' };

describe('file mailer', () => {
  let root: string;
  let outbox: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-mail-'));
    // Two levels that do not exist yet, so the mailer has to create them.
    outbox = join(root, 'data', 'outbox');
  });

  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes a 0600 .eml file into a 0700 directory it creates', async () => {
    await createFileMailer(outbox, { from: FROM }).send(message);

    const [name, ...rest] = await readdir(outbox);
    expect(rest).toEqual([]);
    expect(name).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml$/);
    expect((await stat(outbox)).mode & 0o777).toBe(0o700);
    expect((await stat(join(outbox, name ?? ''))).mode & 0o777).toBe(0o600);

    const raw = await readFile(join(outbox, name ?? ''), 'utf8');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head?.split('\r\n')).toEqual(
      expect.arrayContaining([
        `From: ${FROM}`,
        'To: alice@example.com',
        'Subject: Reset your password',
        expect.stringMatching(/^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
        expect.stringMatching(/^Message-ID: <[0-9a-f]{16}\.\d+@example\.com>$/),
      ]),
    );
    expect(body).toBe('Hi,\r\nclick.');
  });

  it('reads messages back oldest first', async () => {
    const mailer = createFileMailer(outbox, { from: FROM });
    await mailer.send(message);
    await mailer.send({ to: 'bob@example.com', subject: 'Grüße ✓', text: 'line 1\r\nline 2\n' });

    const messages = await readOutbox(outbox);
    expect(messages).toEqual([
      { ...message, date: expect.any(String), file: expect.stringMatching(/\.eml$/) },
      {
        to: 'bob@example.com',
        subject: 'Grüße ✓',
        text: 'line 1\nline 2\n',
        date: expect.any(String),
        file: expect.stringMatching(/\.eml$/),
      },
    ]);
    for (const { date } of messages) {
      expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(60_000);
    }
  });

  it('reads an outbox that does not exist yet as empty', async () => {
    expect(await readOutbox(outbox)).toEqual([]);
  });

  it.each([
    [
      'a CR/LF in the subject',
      { ...message, subject: 'Hi\r\nBcc: attacker@example.net' },
      'Subject',
    ],
    ['a bare LF in the subject', { ...message, subject: 'Hi\nX-Evil: 1' }, 'Subject'],
    ['a CR/LF in the recipient', { ...message, to: 'a@example.com\r\nBcc: b@example.net' }, 'To'],
  ])('refuses %s (header injection) and writes nothing', async (_, injected, header) => {
    const send = createFileMailer(outbox, { from: FROM }).send(injected);

    await expect(send).rejects.toThrow(`The ${header} header must not contain CR or LF`);
    expect(await readOutbox(outbox)).toEqual([]);
  });

  it('refuses a From with a line break when created', () => {
    expect(() => createFileMailer(outbox, { from: 'a@example.com\nBcc: b@example.net' })).toThrow(
      TypeError,
    );
  });

  it('refuses an existing directory that others can read', async () => {
    await mkdir(outbox, { recursive: true, mode: 0o755 });
    const send = createFileMailer(outbox, { from: FROM }).send(message);

    await expect(send).rejects.toThrow(/group or others/);
    expect(await readdir(outbox)).toEqual([]);
  });
});

interface Captured {
  readonly mailFrom: string[];
  readonly rcptTo: string[];
  readonly data: string[];
}

/**
 * A fake SMTP server speaking just enough of RFC 5321 for nodemailer to deliver one message. It
 * stands in for a real SMTP server, which cannot run in this test environment.
 */
async function startFakeSmtp(): Promise<{ server: Server; port: number; captured: Captured }> {
  const captured: Captured = { mailFrom: [], rcptTo: [], data: [] };
  const server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    socket.setEncoding('utf8');
    socket.write('220 fake.test ESMTP\r\n');

    const reply = (verb: string, line: string): string => {
      switch (verb) {
        case 'EHLO':
        case 'HELO':
          return '250 fake.test\r\n';
        case 'MAIL':
          captured.mailFrom.push(line);
          return '250 2.1.0 OK\r\n';
        case 'RCPT':
          captured.rcptTo.push(line);
          return '250 2.1.5 OK\r\n';
        case 'DATA':
          inData = true;
          return '354 end with <CRLF>.<CRLF>\r\n';
        case 'RSET':
        case 'NOOP':
          return '250 OK\r\n';
        case 'QUIT':
          return '221 2.0.0 bye\r\n';
        default:
          return '502 5.5.2 not implemented\r\n';
      }
    };

    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          captured.data.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          inData = false;
          socket.write('250 2.0.0 queued\r\n');
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline === -1) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'QUIT') return void socket.end(reply(verb, line));
        socket.write(reply(verb, line));
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, captured };
}

describe('SMTP mailer', () => {
  let smtp: Awaited<ReturnType<typeof startFakeSmtp>>;
  const url = () => `smtp://127.0.0.1:${smtp.port}`;

  beforeAll(async () => {
    smtp = await startFakeSmtp();
  });

  afterAll(() => new Promise<void>((resolve) => smtp.server.close(() => resolve())));

  it('delivers the subject and body with the configured From', async () => {
    const mailer = createSmtpMailer(url(), { from: FROM });
    await mailer.send({ ...message, text: 'Use this link: https://example.com/reset#abc' });

    expect(smtp.captured.mailFrom).toEqual(['MAIL FROM:<no-reply@example.com>']);
    expect(smtp.captured.rcptTo).toEqual(['RCPT TO:<alice@example.com>']);
    const [data] = smtp.captured.data;
    expect(data).toMatch(/^Subject: Reset your password$/m);
    expect(data).toMatch(/^From: Gatehouse <no-reply@example\.com>$/m);
    expect(data).toMatch(/^To: alice@example\.com$/m);
    expect(data).toContain('Use this link: https://example.com/reset#abc');
  });

  it('refuses a CR/LF in the subject before connecting', async () => {
    const before = smtp.captured.data.length;
    const mailer = createSmtpMailer(url(), { from: FROM });

    await expect(mailer.send({ ...message, subject: 'Hi\r\nBcc: x@example.net' })).rejects.toThrow(
      'The Subject header must not contain CR or LF',
    );
    expect(smtp.captured.data).toHaveLength(before);
  });
});
