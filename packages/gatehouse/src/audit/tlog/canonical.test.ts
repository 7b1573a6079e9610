import { describe, expect, it } from 'vitest';

import { canonicalBytes, canonicalJson, MAX_JSON_DEPTH } from './canonical.js';
import { AuditLogError } from './errors.js';

function fromIeee754(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

describe('canonical JSON (RFC 8785)', () => {
  // cyberphone/json-canonicalization testdata/input/values.json → output/values.json
  // (the sample of RFC 8785 §3.2.2).
  it('serialises numbers, literals and string escapes as ECMAScript does', () => {
    const input = JSON.parse(
      '{"numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],' +
        '"escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],' +
        '"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}',
    );
  });

  // cyberphone/json-canonicalization testdata/input/weird.json → output/weird.json.
  it('sorts member names by UTF-16 code units', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '1': 'One',
      '\u0080': 'Control\u007f',
      '\ud83d\ude02': 'Smiley',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '</script>': 'Browser Challenge',
    };
    expect(canonicalJson(input)).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",' +
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😂":"Smiley",' +
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  // cyberphone/json-canonicalization testdata/input/structures.json → output/structures.json.
  it('sorts nested objects and drops insignificant whitespace', () => {
    const input = JSON.parse(
      '{"1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0}, "10": { }, "": "empty", "a": { },' +
        ' "111": [ { } ], "A": { }}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
    );
  });

  // RFC 8785 Appendix B: IEEE 754 bit patterns and their serialisations.
  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('writes the double 0x%s as %s', (bits, text) => {
    expect(canonicalJson(fromIeee754(bits))).toBe(text);
  });

  it('writes -0 as 0 and keeps array order', () => {
    expect(canonicalJson([3, -0, 1, 'b', 'a'])).toBe('[3,0,1,"b","a"]');
  });

  it('encodes the canonical text as UTF-8', () => {
    expect(Buffer.from(canonicalBytes({ '€': 1 })).toString('hex')).toBe('7b22e282ac223a317d');
  });

  it('accepts objects without a prototype and repeated (acyclic) references', () => {
    const shared = { z: 1 };
    const bare = Object.assign(Object.create(null) as object, { b: shared, a: shared });
    expect(canonicalJson(bare)).toBe('{"a":{"z":1},"b":{"z":1}}');
  });
});

describe('values canonical JSON refuses', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  let deep: unknown = 1;
  for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];

  it.each([
    ['undefined', undefined],
    ['an undefined member', { a: undefined }],
    ['an undefined array item', [undefined]],
    ['a function', () => 1],
    ['a function member', { f: () => 1 }],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', { n: Number.NEGATIVE_INFINITY }],
    ['a lone high surrogate', 'a\ud800'],
    ['a lone low surrogate in a name', { '\udc00': 1 }],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a class instance', new (class Entry {})()],
    ['an object with toJSON', { toJSON: () => 'x' }],
    ['a boxed string', new String('x')],
    ['a typed array', new Uint8Array(1)],
    ['a sparse array', Object.assign(new Array<number>(3), { 0: 1, 2: 3 })],
    ['a symbol key', { [Symbol('k')]: 1 }],
    ['a non-enumerable member', Object.defineProperty({}, 'hidden', { value: 1 })],
    ['a cycle', cyclic],
    ['nesting past the depth limit', deep],
  ])('%s', (_, value) => {
    let error: unknown;
    try {
      canonicalJson(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuditLogError);
    expect(error).toMatchObject({ code: 'ERR_AUDIT_ENTRY_INVALID' });
  });

  it('without echoing the value in the message', () => {
    expect(() => canonicalJson({ secret: 'hunter2\ud800' })).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('hunter2') }),
    );
  });
});
