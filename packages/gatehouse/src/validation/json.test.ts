import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { parseJsonStrict } from './json.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Oracle: nesting depth of a parsed value (a scalar is 0). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((max, child) => Math.max(max, depthOf(child)), 0);
}

/** Oracle: whether any own key anywhere in a parsed value is forbidden. */
function hasForbiddenKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  return (
    Object.keys(value).some((k) => FORBIDDEN.has(k)) || Object.values(value).some(hasForbiddenKey)
  );
}

function issueOf(text: string, maxDepth?: number) {
  const result = parseJsonStrict(text, maxDepth === undefined ? {} : { maxDepth });
  return result.ok ? undefined : result.issue;
}

describe('parseJsonStrict', () => {
  it('returns the parsed value for ordinary JSON', () => {
    expect(parseJsonStrict('{"title":"x","items":[1,{"a":null}]}')).toEqual({
      ok: true,
      value: { title: 'x', items: [1, { a: null }] },
    });
    expect(parseJsonStrict(' 42 ')).toEqual({ ok: true, value: 42 });
  });

  it('reports malformed_json without echoing the input or the engine message', () => {
    for (const text of ['', ' ', '\uFEFF{}', '{"secret":', "{'a':1}", '[1,]', 'NaN', '{"a":1}x']) {
      expect(issueOf(text)).toEqual({
        path: 'body',
        code: 'malformed_json',
        message: 'The request body is not valid JSON.',
      });
    }
  });

  it('reports too_deep past maxDepth and accepts exactly maxDepth', () => {
    expect(issueOf('['.repeat(32) + ']'.repeat(32))).toBeUndefined();
    expect(issueOf('['.repeat(33) + ']'.repeat(33))).toEqual({
      path: 'body',
      code: 'too_deep',
      message: 'The request body nests deeper than 32 levels.',
    });
    expect(issueOf('{"a":{"b":[]}}', 2)?.code).toBe('too_deep');
    expect(issueOf('{"a":{"b":[]}}', 3)).toBeUndefined();
    expect(issueOf('1', 0)).toBeUndefined();
    expect(issueOf('[]', 0)?.message).toBe('The request body nests deeper than 0 levels.');
  });

  it('never throws on 1e6 nested brackets', () => {
    const n = 1_000_000;
    expect(issueOf('['.repeat(n) + ']'.repeat(n))?.code).toBe('too_deep');
    expect(issueOf('{"a":'.repeat(n) + '1' + '}'.repeat(n))?.code).toBe('too_deep');
    expect(issueOf('['.repeat(n))?.code).toBe('malformed_json');
  });

  it('reports duplicate_key at the path of the second occurrence', () => {
    expect(issueOf('{"a":1,"a":2}')).toEqual({
      path: 'body.a',
      code: 'duplicate_key',
      message: 'This key appears more than once in the same object.',
    });
  });

  it('compares decoded keys, so escaped spellings collide', () => {
    expect(issueOf('{"a":1,"\\u0061":2}')?.code).toBe('duplicate_key');
    expect(issueOf('{"\\/":1,"/":2}')?.code).toBe('duplicate_key');
    expect(issueOf('{"é":1,"\\u00e9":2}')?.path).toBe('body["é"]');
  });

  it('allows the same key in different objects', () => {
    expect(issueOf('{"a":{"a":1},"b":{"a":2},"c":[{"a":1},{"a":2}]}')).toBeUndefined();
  });

  it('builds nested paths through arrays and non-identifier keys', () => {
    const text = '{"items":[{"a.b":1},{"ok":true,"a.b":1,"a.b":2}]}';
    expect(issueOf(text)?.path).toBe('body.items[1]["a.b"]');
    expect(issueOf('[[0],[1,2,{"x":[{"y":1,"y":2}]}]]')?.path).toBe('body[1][2].x[0].y');
  });

  it('reports forbidden_key for __proto__, constructor and prototype, even escaped', () => {
    expect(issueOf('{"__proto__":{"admin":true}}')).toEqual({
      path: 'body.__proto__',
      code: 'forbidden_key',
      message: 'This key name is not allowed.',
    });
    expect(issueOf('{"a":[{"constructor":{"prototype":1}}]}')?.path).toBe('body.a[0].constructor');
    expect(issueOf('{"\\u005f_proto__":1}')?.code).toBe('forbidden_key');
    expect(issueOf('{"x":{"prototype":1}}')?.path).toBe('body.x.prototype');
  });

  it('does not mistake strings that look like keys or brackets for structure', () => {
    expect(issueOf('{"a":"\\"a\\":1,\\"a\\":2","b":"__proto__"}')).toBeUndefined();
    expect(issueOf('["__proto__","constructor",{"k":"[[[[{{{{"}]', 2)).toBeUndefined();
    expect(issueOf('{"a\\\\":1,"a":2}')).toBeUndefined();
    expect(issueOf('{"a\\\\":1,"a\\\\":2}')?.code).toBe('duplicate_key');
  });

  it('handles unicode keys and values, including astral and lone surrogates', () => {
    expect(parseJsonStrict('{"😀":"ß","\\ud83d\\ude00x":1}')).toEqual({
      ok: true,
      value: { '😀': 'ß', '😀x': 1 },
    });
    expect(issueOf('{"😀":1,"\\ud83d\\ude00":2}')?.path).toBe('body["😀"]');
    expect(issueOf('{"\\ud800":1,"\\udc00":2}')).toBeUndefined();
  });

  it('rejects a maxDepth that is not a whole number', () => {
    expect(() => parseJsonStrict('1', { maxDepth: -1 })).toThrow(GatehouseError);
    expect(() => parseJsonStrict('1', { maxDepth: 1.5 })).toThrow(/maxDepth/);
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const result = parseJsonStrict(text);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('accepts fc.json() text exactly when it is shallow enough and has no forbidden key', () => {
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: 0, max: 6 }), (text, maxDepth) => {
        const value: unknown = JSON.parse(text);
        const expected = depthOf(value) <= maxDepth && !hasForbiddenKey(value);
        const result = parseJsonStrict(text, { maxDepth });
        expect(result.ok).toBe(expected);
        if (result.ok) expect(result.value).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips JSON.stringify of values without forbidden keys', () => {
    const safe = fc.jsonValue().filter((v) => !hasForbiddenKey(v) && depthOf(v) <= 32);
    fc.assert(
      fc.property(safe, (value) => {
        const result = parseJsonStrict(JSON.stringify(value));
        expect(result).toEqual({
          ok: true,
          value: JSON.parse(JSON.stringify(value)),
        });
      }),
      { numRuns: 500 },
    );
  });

  it('finds a duplicate exactly when hand-written members repeat a key, however escaped', () => {
    const member = fc.record({
      key: fc.constantFrom('a', 'b', 'é', '😀', 'a.b', ''),
      escape: fc.boolean(),
      value: fc.jsonValue({ maxDepth: 2 }).filter((v) => !hasForbiddenKey(v)),
    });
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), (members) => {
        const body = members.map(({ key, escape, value }) => {
          const spelled = escape
            ? key
                .split('')
                .map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
                .join('')
            : key;
          return `"${spelled}":${JSON.stringify(value)}`;
        });
        const keys = members.map((m) => m.key);
        const expectDuplicate = new Set(keys).size !== keys.length;
        const result = parseJsonStrict(`{${body.join(',')}}`);
        expect(!result.ok && result.issue.code === 'duplicate_key').toBe(expectDuplicate);
      }),
      { numRuns: 300 },
    );
  });
});
