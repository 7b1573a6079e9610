import type { ZodType } from 'zod';

import { formatPath, type ValidationIssue } from './issues.js';
import { issueMessage } from './messages.js';

/** The part of a request a schema checks; it becomes the first segment of every issue path. */
export type RequestPart = 'params' | 'query' | 'body';

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/**
 * Checks a value against a schema and reports failures exactly as the API does. Browser code
 * calls it with the same schema before submitting a form, so both show the same messages.
 *
 * @example
 * const result = validateInput(NoteInput, formValues, 'body');
 * if (!result.ok) showErrors(result.issues); // [{ path: 'body.title', code: 'too_small', ... }]
 */
export function validateInput<S extends ZodType>(
  schema: S,
  value: unknown,
  part: RequestPart,
): ValidationResult<S['_output']> {
  const result = schema.safeParse(value, { error: issueMessage });
  if (result.success) return { ok: true, value: result.data };

  const issues: ValidationIssue[] = [];
  for (const issue of result.error.issues) {
    const path = [part, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))];

    // One entry per unknown key, pointing at the key itself (mass-assignment attempts).
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: formatPath([...path, key]),
          code: 'unrecognized_key',
          message: issue.message,
        });
      }
      continue;
    }
    issues.push({ path: formatPath(path), code: issue.code, message: issue.message });
  }
  return { ok: false, issues };
}

/** Issues keyed by path, the shape a form needs to show each message beside its field. */
export function issuesByPath(issues: readonly ValidationIssue[]): Record<string, string> {
  const byPath: Record<string, string> = {};
  for (const issue of issues) byPath[issue.path] ??= issue.message;
  return byPath;
}
