import { GatehouseError } from '../errors.js';
import { formatPath, type IssuePath, type ValidationIssue } from './issues.js';

/** Limits applied to a request body after it has parsed as JSON. */
export interface JsonLimits {
  /**
   * How deeply objects and arrays may nest; `{}` and `[]` are depth 1, a bare scalar is depth 0.
   * @default 32
   */
  readonly maxDepth: number;
}

/** The parsed value, or the one issue that made the body unacceptable. */
export type JsonParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issue: ValidationIssue };

const DEFAULT_MAX_DEPTH = 32;

// Keys that reach Object.prototype, or a constructor, when code later merges or spreads the value.
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const MALFORMED: ValidationIssue = {
  path: 'body',
  code: 'malformed_json',
  message: 'The request body is not valid JSON.',
};

/** One open object or array while scanning; `keys` is set for objects only. */
interface Frame {
  readonly keys: Set<string> | undefined;
  key: string;
  index: number;
  expectKey: boolean;
}

/**
 * Parses a request body as JSON, refusing deep nesting, duplicate keys and prototype-polluting
 * keys, so every consumer of the value sees the same, safe object.
 *
 * @example parseJsonStrict('{"a":1,"a":2}') // { ok: false, issue: { code: 'duplicate_key', ... } }
 */
export function parseJsonStrict(text: string, limits: Partial<JsonLimits> = {}): JsonParseResult {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'JSON maxDepth must be a whole number >= 0.');
  }
  // JSON.parse would coerce a non-string (from an untyped caller) and the scan needs real text.
  if (typeof text !== 'string') return { ok: false, issue: MALFORMED };

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 parses deep nesting without recursion, but an engine that recurses runs out of stack
    // and throws RangeError; nesting is then the only plausible cause. The engine's message is
    // never used: it can quote the input.
    return {
      ok: false,
      issue: error instanceof RangeError ? tooDeep(maxDepth) : MALFORMED,
    };
  }

  const issue = scan(text, maxDepth);
  return issue === undefined ? { ok: true, value } : { ok: false, issue };
}

/**
 * Walks text that JSON.parse has accepted, in one pass and without recursion, and reports the
 * first nesting, duplicate-key or forbidden-key problem. Because the text is valid JSON, every
 * quote outside a string opens one, and inside an object a string after `{` or `,` is a key.
 */
function scan(text: string, maxDepth: number): ValidationIssue | undefined {
  const stack: Frame[] = [];
  let i = 0;

  while (i < text.length) {
    const c = text.charCodeAt(i);

    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const frame = stack[stack.length - 1];
      if (frame?.keys !== undefined && frame.expectKey) {
        const raw = text.slice(i + 1, end - 1);
        // Compare decoded keys, so "a" and "\u0061" collide as they do in the parsed object.
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        frame.key = key;
        frame.expectKey = false;
        if (FORBIDDEN_KEYS.has(key)) {
          return keyIssue(stack, 'forbidden_key', 'This key name is not allowed.');
        }
        if (frame.keys.has(key)) {
          return keyIssue(
            stack,
            'duplicate_key',
            'This key appears more than once in the same object.',
          );
        }
        frame.keys.add(key);
      }
      i = end;
      continue;
    }

    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (stack.length >= maxDepth) return tooDeep(maxDepth);
      const keys = c === OPEN_BRACE ? new Set<string>() : undefined;
      stack.push({ keys, key: '', index: 0, expectKey: keys !== undefined });
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
    } else if (c === COMMA) {
      const frame = stack[stack.length - 1];
      if (frame?.keys !== undefined) frame.expectKey = true;
      else if (frame !== undefined) frame.index += 1;
    }
    i += 1;
  }
  return undefined;
}

/**
 * Returns the index just after the string literal whose opening quote is at `start`. A quote
 * closes the string when an even number of backslashes precedes it; each run of backslashes is
 * counted once, so the search stays linear.
 */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

function keyIssue(stack: readonly Frame[], code: string, message: string): ValidationIssue {
  const path: IssuePath = ['body', ...stack.map((f) => (f.keys === undefined ? f.index : f.key))];
  return { path: formatPath(path), code, message };
}

function tooDeep(maxDepth: number): ValidationIssue {
  const levels = maxDepth === 1 ? 'level' : 'levels';
  return {
    path: 'body',
    code: 'too_deep',
    message: `The request body nests deeper than ${maxDepth} ${levels}.`,
  };
}
