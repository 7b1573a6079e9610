import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { createCsp, NONCE, unsafeScriptSources, type CspDirectives } from './csp.js';

const NONCE_VALUE = 'AAECAwQFBgcICQoLDA0ODw=='; // bytes 0..15
const SHA256 = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"; // SHA-256 of ''

function refusal(directives: CspDirectives, options = {}): GatehouseError {
  try {
    createCsp(directives, options);
  } catch (error) {
    if (error instanceof GatehouseError) return error;
    throw error;
  }
  throw new Error('the policy was accepted');
}

function expectInvalid(directives: CspDirectives, message: RegExp): void {
  const error = refusal(directives);
  expect(error.code).toBe('ERR_CONFIG_INVALID');
  expect(error.message).toMatch(message);
}

describe('createCsp', () => {
  it('serialises directives in order, names and keywords lower-cased', () => {
    const policy = createCsp({
      'Default-Src': ["'SELF'"],
      'img-src': ["'self'", 'data:', 'https://img.example.com'],
      'upgrade-insecure-requests': true,
    });

    expect(policy.serialize()).toBe(
      "default-src 'self'; img-src 'self' data: https://img.example.com; upgrade-insecure-requests",
    );
    expect(policy.usesNonce).toBe(false);
    expect([...policy.directives.keys()]).toEqual([
      'default-src',
      'img-src',
      'upgrade-insecure-requests',
    ]);
  });

  it('accepts every kind of source expression', () => {
    const policy = createCsp({
      'default-src': ["'none'"],
      'script-src': [
        "'self'",
        "'strict-dynamic'",
        "'report-sample'",
        "'unsafe-hashes'",
        "'wasm-unsafe-eval'",
        `'nonce-${NONCE_VALUE}'`,
        SHA256,
        `'sha384-${'A'.repeat(64)}'`,
        `'sha512-${'A'.repeat(86)}=='`,
      ],
      'connect-src': [
        'https:',
        'wss:',
        'blob:',
        'https://api.example.com',
        '*.example.com',
        'https://*.example.com:443',
        'http://localhost:*',
        'https://cdn.example.com/lib/app.js',
        'example.com/path/',
        '*',
      ],
      sandbox: ['allow-scripts', 'allow-forms'],
      'report-uri': ['/api/csp-reports', 'https://reports.example.com/csp'],
      'report-to': ['csp'],
      'require-trusted-types-for': ["'script'"],
      'trusted-types': ['app-policy', "'allow-duplicates'"],
    });

    expect(policy.serialize()).toContain(`'nonce-${NONCE_VALUE}' ${SHA256}`);
  });

  it('keeps the case of base64 in nonces and hashes while lower-casing their prefix', () => {
    const policy = createCsp({ 'default-src': [`'NONCE-${NONCE_VALUE}'`, SHA256.toUpperCase()] });

    expect(policy.serialize()).toBe(
      `default-src 'nonce-${NONCE_VALUE}' 'sha256-47DEQPJ8HBSA+/TIMW+5JCEUQERKM5NMPJWZG3HSUFU='`,
    );
  });

  it('accepts [name, value] entries', () => {
    const policy = createCsp([
      ['default-src', ["'self'"]],
      ['object-src', ["'none'"]],
    ]);
    expect(policy.serialize()).toBe("default-src 'self'; object-src 'none'");
  });

  describe('refuses, with ERR_CONFIG_INVALID', () => {
    it.each(['script', 'plugin-types', 'navigate-to', 'prefetch-src', 'block-all-mixed-content'])(
      'the unknown directive %s',
      (name) => {
        expectInvalid({ 'default-src': ["'self'"], [name]: ["'self'"] }, /Unknown CSP directive/);
      },
    );

    it('an unknown directive without echoing a name that is not one', () => {
      const error = refusal({ 'default-src': ["'self'"], 'x\r\nSet-Cookie: a': [] });
      expect(error.message).toBe('Unknown CSP directive');
      expect(refusal({ 'default-src': ["'self'"], Script: [] }).message).toBe(
        'Unknown CSP directive script',
      );
    });

    it('a directive given twice as entries', () => {
      expectInvalid(
        [
          ['default-src', ["'self'"]],
          ['script-src', ["'self'"]],
          ['script-src', ['https://evil.example']],
        ],
        /script-src is given twice/,
      );
    });

    it('a directive given twice in different case', () => {
      expectInvalid(
        { 'default-src': ["'self'"], 'script-src': ["'self'"], 'SCRIPT-SRC': ["'none'"] },
        /script-src is given twice/,
      );
    });

    it('a policy without default-src', () => {
      expectInvalid({ 'script-src': ["'self'"] }, /needs a default-src/);
    });

    it.each([
      'self',
      'none',
      'unsafe-inline',
      'unsafe-eval',
      'strict-dynamic',
      'report-sample',
      'unsafe-hashes',
      'wasm-unsafe-eval',
      'SELF',
      `nonce-${NONCE_VALUE}`,
      SHA256.slice(1, -1),
      'sha384-abc',
      'sha512-abc',
    ])('the unquoted keyword %s', (source) => {
      expectInvalid({ 'default-src': [source] }, /must be in single quotes/);
    });

    it.each(["'unsafe-everything'", "'script'", "'self", "'*'", "''"])(
      'the unknown quoted keyword %s',
      (source) => {
        expectInvalid({ 'default-src': [source] }, /unknown quoted keyword/);
      },
    );

    it.each([
      ['a semicolon', "'self'; script-src *"],
      ['a comma', 'https://a.example,https://b.example'],
      ['a CR', 'https://a.example\r'],
      ['a LF', 'https://a.example\nContent-Security-Policy: default-src *'],
      ['a space', 'https://a.example https://b.example'],
      ['a tab', 'https://a.example\t'],
      ['a NUL', 'https://a.example\u0000'],
    ])('%s inside a source', (_, source) => {
      expectInvalid({ 'default-src': [source] }, /whitespace, ";", ","/);
    });

    it('an empty source', () => {
      expectInvalid({ 'default-src': [''] }, /empty/);
    });

    it.each([
      'https://',
      'https://exa mple.com',
      'data:text/html',
      'ht tp:',
      '//example.com',
      ':443',
    ])('the malformed source %j', (source) => {
      expect(refusal({ 'default-src': [source] }).code).toBe('ERR_CONFIG_INVALID');
    });

    it("'none' beside another source", () => {
      expectInvalid({ 'default-src': ["'none'", "'self'"] }, /'none' must be the only source/);
      expectInvalid({ 'default-src': ['https:', "'NONE'"] }, /'none' must be the only source/);
    });

    it('an empty source list', () => {
      expectInvalid({ 'default-src': [] }, /write 'none'/);
    });

    it('a value for upgrade-insecure-requests', () => {
      expectInvalid(
        { 'default-src': ["'self'"], 'upgrade-insecure-requests': ["'self'"] },
        /takes no value/,
      );
    });

    it('a keyword other than self or none in frame-ancestors', () => {
      expectInvalid(
        { 'default-src': ["'self'"], 'frame-ancestors': ["'unsafe-inline'"] },
        /only 'self' or 'none'/,
      );
    });

    it('nonces and hashes of the wrong length', () => {
      expectInvalid({ 'default-src': ["'nonce-abc'"] }, /at least 128 bits/);
      expectInvalid({ 'default-src': ["'sha256-abc='"] }, /base64 of 32 bytes/);
      expectInvalid({ 'default-src': [`'sha384-${'A'.repeat(43)}='`] }, /base64 of 48 bytes/);
      expectInvalid({ 'default-src': [`'nonce-${'!'.repeat(24)}'`] }, /at least 128 bits/);
    });

    it('a NONCE marker outside script and style directives', () => {
      expectInvalid({ 'default-src': [NONCE] }, /belongs in script or style/);
      expectInvalid({ 'default-src': ["'self'"], 'img-src': [NONCE] }, /belongs in script/);
    });

    it('bad values of the reporting, sandbox and trusted-types directives', () => {
      const base = { 'default-src': ["'self'"] };
      expectInvalid({ ...base, 'report-uri': ['//evil.example/r'] }, /absolute paths or https/);
      expectInvalid({ ...base, 'report-uri': ['http://a.example/r'] }, /absolute paths or https/);
      expectInvalid({ ...base, 'report-uri': [] }, /needs a URL/);
      expectInvalid({ ...base, 'report-to': ['a', 'b'] }, /one lower-case endpoint group/);
      expectInvalid({ ...base, 'report-to': ['CSP'] }, /one lower-case endpoint group/);
      expectInvalid({ ...base, sandbox: ['allow-everything'] }, /unknown sandbox token/);
      expectInvalid({ ...base, 'require-trusted-types-for': ["'style'"] }, /takes 'script'/);
      expectInvalid({ ...base, 'trusted-types': ["'none'", 'app'] }, /must be the only value/);
      expectInvalid({ ...base, 'trusted-types': ['a<b'] }, /not a policy name/);
    });

    it('a directive value that is not a list', () => {
      expectInvalid({ 'default-src': "'self'" as unknown as string[] }, /needs a list of sources/);
    });

    it('never echoes a refused source in the message', () => {
      const error = refusal({ 'default-src': ["'secret-looking-keyword'"] });
      expect(error.message).not.toContain('secret-looking-keyword');
    });
  });

  describe('nonce', () => {
    const policy = createCsp({
      'default-src': ["'self'"],
      'script-src': [NONCE, "'strict-dynamic'"],
      'style-src': ["'self'", NONCE],
    });

    it('is written wherever the NONCE marker stands', () => {
      expect(policy.usesNonce).toBe(true);
      expect(policy.serialize(NONCE_VALUE)).toBe(
        `default-src 'self'; script-src 'nonce-${NONCE_VALUE}' 'strict-dynamic'; ` +
          `style-src 'self' 'nonce-${NONCE_VALUE}'`,
      );
    });

    it('differs per call, from the same pre-serialised policy', () => {
      const other = 'qrvM3e7/ABEiM0RVZneImQ';
      expect(policy.serialize(other)).toContain(`'nonce-${other}'`);
      expect(policy.serialize(other)).not.toContain(NONCE_VALUE);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['shorter than 128 bits', 'AAECAwQFBgcICQoLDA0O'],
      ['not base64', 'AAECAwQFBgcICQoLDA0ODw!!'],
      ['a quote that would end the source', "AAECAwQFBgcICQoLDA0ODw' 'unsafe-inline"],
      ['a directive injection', 'AAECAwQFBgcICQoLDA0ODw; script-src *'],
      ['a header injection', 'AAECAwQFBgcICQoLDA0ODw\r\nSet-Cookie: a=b'],
    ])('is refused when %s', (_, nonce) => {
      expect(() => policy.serialize(nonce)).toThrow(TypeError);
    });

    it('is not needed by a policy without the marker', () => {
      const plain = createCsp({ 'default-src': ["'none'"] });
      expect(plain.serialize()).toBe("default-src 'none'");
      expect(plain.serialize(NONCE_VALUE)).toBe("default-src 'none'");
    });
  });

  describe('unsafe script sources', () => {
    it('are found in script-src, its -elem and -attr variants, and default-src', () => {
      const inScript = createCsp({ 'default-src': ["'self'"], 'script-src': ["'unsafe-eval'"] });
      const inDefault = createCsp({ 'default-src': ["'self'", "'unsafe-inline'"] });
      const inAttr = createCsp({
        'default-src': ["'self'"],
        'script-src-attr': ["'unsafe-inline'"],
        'script-src-elem': ["'unsafe-eval'"],
      });

      expect(unsafeScriptSources(inScript)).toEqual(["'unsafe-eval'"]);
      expect(unsafeScriptSources(inDefault)).toEqual(["'unsafe-inline'"]);
      expect(unsafeScriptSources(inAttr)).toEqual(["'unsafe-eval'", "'unsafe-inline'"]);
    });

    it('are not found when script-src overrides an unsafe default-src', () => {
      const policy = createCsp({
        'default-src': ["'self'", "'unsafe-inline'"],
        'script-src': ["'self'"],
      });
      expect(unsafeScriptSources(policy)).toEqual([]);
    });

    it("ignore 'unsafe-inline' in style-src", () => {
      const directives = { 'default-src': ["'self'"], 'style-src': ["'unsafe-inline'"] };
      expect(unsafeScriptSources(createCsp(directives))).toEqual([]);
      expect(() => createCsp(directives, { production: true })).not.toThrow();
    });

    it.each<[CspDirectives]>([
      [{ 'default-src': ["'self'"], 'script-src': ["'self'", "'unsafe-inline'"] }],
      [{ 'default-src': ["'self'"], 'script-src': [NONCE, "'unsafe-inline'"] }],
      [{ 'default-src': ["'self'", "'unsafe-eval'"] }],
      [{ 'default-src': ["'self'"], 'script-src-attr': ["'UNSAFE-INLINE'"] }],
    ])('are refused in production with ERR_CONFIG_UNSAFE: %j', (directives) => {
      expect(refusal(directives, { production: true }).code).toBe('ERR_CONFIG_UNSAFE');
      expect(() => createCsp(directives)).not.toThrow();
    });
  });

  describe('for any source string', () => {
    it('either throws a coded error or serialises a header no source can break out of', () => {
      const source = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.constantFrom("'self'", 'https:', '*.example.com', "'none'", ';', ',', '\r\n', ' '),
      );
      fc.assert(
        fc.property(fc.array(source, { minLength: 1, maxLength: 4 }), (sources) => {
          let header: string;
          try {
            header = createCsp({ 'default-src': sources }).serialize();
          } catch (error) {
            expect(error).toBeInstanceOf(GatehouseError);
            expect((error as GatehouseError).code).toBe('ERR_CONFIG_INVALID');
            return;
          }
          expect(header.split(';')).toHaveLength(1);
          expect(header).not.toMatch(/[,\r\n\t\p{Cc}]/u);
          expect(header.split(' ')).toHaveLength(sources.length + 1);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
