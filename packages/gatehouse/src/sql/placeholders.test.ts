import { describe, expect, it } from 'vitest';

import { bindPositional, toPositional } from './placeholders.js';

describe('toPositional', () => {
  it('replaces $n placeholders with ? in order of appearance', () => {
    const result = toPositional('SELECT * FROM t WHERE a = $1 AND b = $2');
    expect(result.text).toBe('SELECT * FROM t WHERE a = ? AND b = ?');
    expect(result.order).toEqual([0, 1]);
    expect(result.arity).toBe(2);
  });

  it('supports a placeholder used twice and placeholders out of order', () => {
    const result = toPositional('UPDATE t SET a = $2, b = $1 WHERE c = $2 OR d = $10');
    expect(result.text).toBe('UPDATE t SET a = ?, b = ? WHERE c = ? OR d = ?');
    expect(result.order).toEqual([1, 0, 1, 9]);
    expect(result.arity).toBe(10);
  });

  it('leaves $n inside string literals alone, including escaped quotes', () => {
    const result = toPositional("SELECT '$1', 'it''s $2', $1 FROM t WHERE x = 'a;b'");
    expect(result.text).toBe("SELECT '$1', 'it''s $2', ? FROM t WHERE x = 'a;b'");
    expect(result.order).toEqual([0]);
    expect(result.multiple).toBe(false);
  });

  it('leaves $n inside quoted identifiers alone', () => {
    const result = toPositional('SELECT "a$1", `b$2`, [c$3] FROM t WHERE d = $1');
    expect(result.text).toBe('SELECT "a$1", `b$2`, [c$3] FROM t WHERE d = ?');
    expect(result.order).toEqual([0]);
  });

  it('leaves $n inside comments alone', () => {
    const result = toPositional('SELECT $1 -- not $2\n, /* nor $3 */ $2');
    expect(result.text).toBe('SELECT ? -- not $2\n, /* nor $3 */ ?');
    expect(result.order).toEqual([0, 1]);
  });

  it('treats $ inside an identifier as part of the name', () => {
    expect(toPositional('SELECT price$1 FROM t').order).toEqual([]);
  });

  it('copies an unterminated quote or comment to the end unchanged', () => {
    expect(toPositional("SELECT 'open $1").text).toBe("SELECT 'open $1");
    expect(toPositional('SELECT 1 /* open $1').text).toBe('SELECT 1 /* open $1');
  });

  it('rejects $0', () => {
    expect(() => toPositional('SELECT $0')).toThrow(RangeError);
  });

  it('detects several statements, ignoring a trailing semicolon and comments', () => {
    expect(toPositional('CREATE TABLE a (x INT); CREATE TABLE b (y INT);').multiple).toBe(true);
    expect(toPositional('SELECT 1;  \n').multiple).toBe(false);
    expect(toPositional('SELECT 1; -- done\n').multiple).toBe(false);
    expect(toPositional("SELECT ';' AS s").multiple).toBe(false);
  });
});

describe('bindPositional', () => {
  it('builds the argument list from the recorded order', () => {
    const statement = toPositional('SELECT $2, $1, $2');
    expect(bindPositional(statement, ['a', 'b'])).toEqual(['b', 'a', 'b']);
  });

  it('turns booleans into 1 and 0 and keeps null', () => {
    const statement = toPositional('SELECT $1, $2, $3');
    expect(bindPositional(statement, [true, false, null])).toEqual([1, 0, null]);
  });

  it('rejects too few or too many parameters, as PostgreSQL does', () => {
    const statement = toPositional('SELECT $1, $2');
    expect(() => bindPositional(statement, ['a'])).toThrow(RangeError);
    expect(() => bindPositional(statement, ['a', 'b', 'c'])).toThrow(RangeError);
    expect(bindPositional(toPositional('SELECT 1'), [])).toEqual([]);
  });
});
