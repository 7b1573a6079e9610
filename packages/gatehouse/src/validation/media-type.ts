import { parse } from 'content-type';

/**
 * Whether a `Content-Type` header names JSON this layer reads: `application/json` (or another of
 * `types`, all JSON documents, such as `application/reports+json`), with no charset or with UTF-8
 * (RFC 8259 §8.1 makes UTF-8 the only charset for JSON between systems).
 */
export function isJsonContentType(
  header: string | null,
  types: readonly string[] = ['application/json'],
): boolean {
  if (header === null) return false;

  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(header);
  } catch {
    return false;
  }

  if (!types.includes(parsed.type)) return false;
  const charset = parsed.parameters['charset'];
  return charset === undefined || charset.toLowerCase() === 'utf-8';
}
