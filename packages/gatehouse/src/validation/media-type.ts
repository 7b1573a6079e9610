import { parse } from 'content-type';

/**
 * Whether a `Content-Type` header names JSON this layer reads: `application/json`, with no
 * charset or with UTF-8 (RFC 8259 §8.1 makes UTF-8 the only charset for JSON between systems).
 */
export function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;

  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(header);
  } catch {
    return false;
  }

  if (parsed.type !== 'application/json') return false;
  const charset = parsed.parameters['charset'];
  return charset === undefined || charset.toLowerCase() === 'utf-8';
}
