/** Where a request failed validation: `location` first, then keys and array indices. */
export type IssuePath = readonly (string | number)[];

/** One reason a request was refused, as it appears in a problem body's `errors` list. */
export interface ValidationIssue {
  /** Dotted path starting at the request part: `body.title`, `query.limit`, `params.id`. */
  readonly path: string;
  /** Stable, machine-readable reason, such as `too_small` or `duplicate_key`. */
  readonly code: string;
  /** A sentence for a person; never echoes the rejected value. */
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a path as `body.items[0].title`; keys that are not identifiers are quoted,
 * `body["a.b"]`, so two different paths never print alike.
 */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
