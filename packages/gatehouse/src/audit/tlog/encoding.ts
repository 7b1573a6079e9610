/**
 * Text encodings shared by checkpoints and signed notes, strict in what they accept: a signed
 * artifact has exactly one spelling, so anything a lenient decoder would repair is refused.
 * @module
 */

const loneSurrogate = /\p{Surrogate}/u;
const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/**
 * The bytes of a standard, padded, canonical base64 string (RFC 4648 §4), or `undefined`. Unlike
 * `Buffer.from(text, 'base64')` it refuses stray characters, missing padding, the URL alphabet
 * and non-zero padding bits.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!strictBase64.test(text)) return undefined;

  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}

/** Whether `text` has an ASCII control character other than newline, or a lone surrogate. */
export function hasForbiddenCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return loneSurrogate.test(text);
}
