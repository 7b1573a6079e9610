import { generateKeyPairSync } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  isValidKeyName,
  noteKeyHash,
  parseSignerKey,
  parseVerifierKey,
  rawPublicKey,
  verifierKey,
} from './keys.js';
import { openNote, signNote } from './note.js';

// golang.org/x/mod/sumdb/note, note_test.go (TestSign, TestOpen, TestNewVerifier), BSD-3-Clause.
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const PETER = { name: 'PeterNeumann', keyHash: 0xc74f20a3 };
const ENOCH = { name: 'EnochRoot', keyHash: 0xaf0cfe78 };

const peterSigner = parseSignerKey(PETER_SKEY);
const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('note keys', () => {
  it('derive the published key hash and verifier key from the published signer key', () => {
    expect(peterSigner.name).toBe('PeterNeumann');
    expect(noteKeyHash('PeterNeumann', peterSigner.privateKey)).toBe(0xc74f20a3);
    expect(verifierKey('PeterNeumann', peterSigner.privateKey)).toBe(PETER_VKEY);
    expect(peter).toMatchObject(PETER);
    expect(verifierKey(peter.name, rawPublicKey(peter.publicKey))).toBe(PETER_VKEY);
  });

  it('round-trip a freshly generated key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const vkey = verifierKey('audit.example/log', publicKey);
    expect(vkey).toMatch(/^audit\.example\/log\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/);
    expect(parseVerifierKey(vkey).keyHash).toBe(noteKeyHash('audit.example/log', privateKey));
  });

  it.each([
    ['a truncated key', PETER_VKEY.slice(0, -4)],
    ['a missing part', 'PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a wrong key hash', PETER_VKEY.replace('c74f20a3', 'c74f20a4')],
    ['a short key hash', PETER_VKEY.replace('c74f20a3', 'c74f20a')],
    ['a renamed key', PETER_VKEY.replace('PeterNeumann', 'PeterNeuman')],
    ['a name with a space', PETER_VKEY.replace('PeterNeumann', 'Peter Neumann')],
    ['an empty name', PETER_VKEY.replace('PeterNeumann', '')],
    // Published in TestNewVerifier: a wrong-length key and an unknown algorithm, each with a
    // key hash adjusted to match.
    [
      'a wrong-length key',
      'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
    ],
    ['an unknown algorithm', 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a key that is not base64', PETER_VKEY.replace('/', '_')],
  ])('refuse a verifier key with %s', (_, vkey) => {
    expect(codeOf(() => parseVerifierKey(vkey))).toBe('ERR_AUDIT_KEY_INVALID');
  });

  it.each([
    ['no PRIVATE+KEY prefix', PETER_SKEY.slice('PRIVATE+KEY+'.length)],
    ['a wrong key hash', PETER_SKEY.replace('c74f20a3', '00000000')],
    ['a flipped seed byte', PETER_SKEY.replace('AYEK', 'AYEL')],
  ])('refuse a signer key with %s', (_, skey) => {
    expect(codeOf(() => parseSignerKey(skey))).toBe('ERR_AUDIT_KEY_INVALID');
  });

  it('accept names without spaces or +, and refuse the rest', () => {
    expect(isValidKeyName('example.com/log-1')).toBe(true);
    expect(isValidKeyName('Ünïcode')).toBe(true);
    for (const name of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u2003b', 'a\nb', 'a\u0001b']) {
      expect(isValidKeyName(name), JSON.stringify(name)).toBe(false);
    }
  });
});

describe('signNote', () => {
  it('reproduces the published signature exactly', () => {
    expect(signNote(TEXT, peterSigner)).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('signs with several keys in order', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const note = signNote(TEXT, [peterSigner, { name: 'witness.example', privateKey }]);
    const witness = parseVerifierKey(verifierKey('witness.example', privateKey));
    expect(openNote(note, [witness, peter]).signatures).toEqual([
      PETER,
      { name: 'witness.example', keyHash: witness.keyHash },
    ]);
  });

  it('refuses text that does not end in a newline or holds control characters', () => {
    expect(codeOf(() => signNote('abc', peterSigner))).toBe('ERR_AUDIT_NOTE_INVALID');
    expect(codeOf(() => signNote('a\rb\n', peterSigner))).toBe('ERR_AUDIT_NOTE_INVALID');
    expect(codeOf(() => signNote('a\ud800\n', peterSigner))).toBe('ERR_AUDIT_NOTE_INVALID');
  });

  it('refuses signer names with spaces or +, and non-Ed25519 keys', () => {
    const { privateKey } = peterSigner;
    expect(codeOf(() => signNote(TEXT, { name: 'bad name', privateKey }))).toBe(
      'ERR_AUDIT_KEY_INVALID',
    );
    expect(codeOf(() => signNote(TEXT, { name: 'a+b', privateKey }))).toBe('ERR_AUDIT_KEY_INVALID');
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(codeOf(() => signNote(TEXT, { name: 'ec', privateKey: rsa }))).toBe(
      'ERR_AUDIT_KEY_INVALID',
    );
    expect(codeOf(() => signNote(TEXT, [peterSigner, peterSigner]))).toBe('ERR_AUDIT_KEY_INVALID');
  });
});

describe('openNote', () => {
  it('opens the published note and reports who signed it', () => {
    expect(openNote(`${TEXT}\n${PETER_SIG}`, [peter])).toEqual({ text: TEXT, signatures: [PETER] });
  });

  it('accepts UTF-8 bytes as well as a string', () => {
    const bytes = new TextEncoder().encode(`${TEXT}\n${PETER_SIG}`);
    expect(openNote(bytes, [peter]).text).toBe(TEXT);
  });

  it('ignores signatures from unknown keys, and checks every known one', () => {
    const note = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(note, [peter]).signatures).toEqual([PETER]);
    expect(openNote(note, [peter, enoch]).signatures).toEqual([PETER, ENOCH]);
    // A repeated signature counts once.
    expect(openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}`, [peter]).signatures).toEqual([PETER]);
  });

  it('refuses a note no known key signed', () => {
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, []))).toBe(
      'ERR_AUDIT_NOTE_UNVERIFIED',
    );
    expect(codeOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [peter]))).toBe(
      'ERR_AUDIT_NOTE_UNVERIFIED',
    );
  });

  it('ignores a signature whose name or key hash matches a known key but not both', () => {
    const renamed = PETER_SIG.replace('PeterNeumann', 'CarmenSandiego');
    // 'x08g' encodes the key hash's first bytes; 'xxxx' changes them.
    const rehashed = PETER_SIG.replace('x08g', 'xxxx');
    expect(codeOf(() => openNote(`${TEXT}\n${renamed}`, [peter]))).toBe(
      'ERR_AUDIT_NOTE_UNVERIFIED',
    );
    expect(codeOf(() => openNote(`${TEXT}\n${rehashed}`, [peter]))).toBe(
      'ERR_AUDIT_NOTE_UNVERIFIED',
    );
  });

  it('refuses the whole note when a known key signature fails', () => {
    const altered = `${TEXT.replace('answer', 'Answer')}\n${PETER_SIG}`;
    const forged = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60);
    const flipped = PETER_SIG.replace('ZJku', 'ZJkv');
    expect(codeOf(() => openNote(altered, [peter]))).toBe('ERR_AUDIT_NOTE_SIGNATURE');
    expect(codeOf(() => openNote(`${TEXT}\n${forged}`, [peter]))).toBe('ERR_AUDIT_NOTE_SIGNATURE');
    expect(codeOf(() => openNote(`${TEXT}\n${flipped}`, [peter]))).toBe('ERR_AUDIT_NOTE_SIGNATURE');
    // Even when another known key's signature is good.
    expect(codeOf(() => openNote(`${TEXT}\n${ENOCH_SIG}${flipped}`, [peter, enoch]))).toBe(
      'ERR_AUDIT_NOTE_SIGNATURE',
    );
  });

  // The malformed notes of TestOpen, and more.
  it.each([
    ['text alone', TEXT],
    ['text and a blank line', `${TEXT}\n`],
    ['no blank line before the signatures', `${TEXT}${PETER_SIG}`],
    ['a signature line without its newline', `${TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['a control character', `\u0001${TEXT}\n${PETER_SIG}`],
    ['a carriage return', `${TEXT}\n${PETER_SIG.replace('\n', '\r\n')}`],
    ['a name with a space', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Bad Name')}`],
    ['a name with +', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Peter+Neumann')}`],
    ['an empty name', `${TEXT}\n${PETER_SIG.replace('PeterNeumann', '')}`],
    ['a line after the signatures', `${TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ['a signature that is not base64', `${TEXT}\n${PETER_SIG.replace('x08go/', 'x08go_')}`],
    ['unpadded base64', `${TEXT}\n${PETER_SIG.replace('AM=\n', 'AM\n')}`],
    ['a key hash without a signature', `${TEXT}\n— PeterNeumann x08gow==\n`],
    ['a truncated key hash', `${TEXT}\n— PeterNeumann x08g\n`],
    ['an empty signature', `${TEXT}\n— PeterNeumann \n`],
    ['no em dash', `${TEXT}\n${PETER_SIG.replace('—', '-')}`],
    ['101 signatures', `${TEXT}\n${PETER_SIG.repeat(101)}`],
  ])('refuses a note with %s', (_, note) => {
    expect(codeOf(() => openNote(note, [peter]))).toBe('ERR_AUDIT_NOTE_INVALID');
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = new TextEncoder().encode(`${TEXT}\n${PETER_SIG}`);
    expect(codeOf(() => openNote(Uint8Array.of(0xff, ...bytes), [peter]))).toBe(
      'ERR_AUDIT_NOTE_INVALID',
    );
  });

  it('refuses two verifiers with the same name and key hash', () => {
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG}`, [peter, peter]))).toBe(
      'ERR_AUDIT_KEY_INVALID',
    );
  });
});
