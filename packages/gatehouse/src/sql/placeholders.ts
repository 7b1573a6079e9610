import type { SqlValue } from './types.js';

/** A statement rewritten for SQLite's anonymous `?` parameters. */
export interface PositionalSql {
  /** The statement with every `$n` placeholder replaced by `?`. */
  readonly text: string;
  /** For each `?` in order, the zero-based index of the caller's parameter it stands for. */
  readonly order: readonly number[];
  /** The number of parameters the caller must pass: the highest `$n` used. */
  readonly arity: number;
  /** Whether more than one statement follows another after a top-level semicolon. */
  readonly multiple: boolean;
}

// Characters that may continue an identifier: PostgreSQL allows `$` inside names (`a$1`), so a
// `$` right after one of these is part of the name, not a placeholder.
const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

// Quoted runs are copied untouched: string literals, "identifiers", `identifiers` and SQLite's
// [identifiers]. A doubled closing quote inside a run is an escaped quote, which the scan handles
// by simply leaving and re-entering the run.
const CLOSING_QUOTE: Readonly<Record<string, string>> = { "'": "'", '"': '"', '`': '`', '[': ']' };

/** Rewrites `$n` placeholders to `?`, skipping quoted text and comments, recording the order. */
export function toPositional(sql: string): PositionalSql {
  let text = '';
  const order: number[] = [];
  let arity = 0;
  let afterSemicolon = false;
  let multiple = false;
  let i = 0;

  while (i < sql.length) {
    const char = sql[i] as string;
    const next = sql[i + 1];
    let end: number;

    if (char === '-' && next === '-') {
      const newline = sql.indexOf('\n', i);
      end = newline === -1 ? sql.length : newline;
    } else if (char === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? sql.length : close + 2;
    } else {
      if (afterSemicolon && !/\s/.test(char)) multiple = true;

      const closing = CLOSING_QUOTE[char];
      if (closing !== undefined) {
        const close = sql.indexOf(closing, i + 1);
        end = close === -1 ? sql.length : close + 1;
      } else if (
        char === '$' &&
        /[0-9]/.test(next ?? '') &&
        !IDENTIFIER_CHAR.test(sql[i - 1] ?? ' ')
      ) {
        const digits = /^[0-9]+/.exec(sql.slice(i + 1))?.[0] ?? '';
        const position = Number(digits);
        if (position < 1) throw new RangeError('SQL parameters are numbered from $1');
        order.push(position - 1);
        arity = Math.max(arity, position);
        text += '?';
        i += 1 + digits.length;
        continue;
      } else {
        if (char === ';') afterSemicolon = true;
        end = i + 1;
      }
    }

    text += sql.slice(i, end);
    i = end;
  }

  return { text, order, arity, multiple };
}

/** Builds the positional argument list for a rewritten statement; booleans become 1/0. */
export function bindPositional(
  statement: PositionalSql,
  params: readonly SqlValue[],
): (string | number | null)[] {
  // PostgreSQL rejects a parameter count that does not match the statement; doing the same here
  // keeps a bug from passing on SQLite and failing only in production.
  if (params.length !== statement.arity) {
    throw new RangeError(
      `The statement uses ${statement.arity} parameter(s) but ${params.length} were given`,
    );
  }

  return statement.order.map((index) => {
    const value = params[index] as SqlValue;
    return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  });
}
