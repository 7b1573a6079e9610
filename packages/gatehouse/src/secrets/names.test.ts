import { describe, expect, it } from 'vitest';

import { assertSecretName, isSecretName } from './names.js';
import { INVALID_NAMES } from './test/conformance.js';

describe('secret names', () => {
  it('accepts lower-case segments separated by single slashes', () => {
    for (const name of ['a', 'db-password', 'app/db/password', 'v2.key_1', '0', 'x'.repeat(128)]) {
      expect(isSecretName(name)).toBe(true);
    }
  });

  it('refuses traversal, hidden segments, upper case and anything longer than 128', () => {
    for (const name of [...INVALID_NAMES, 'a..b', 42, undefined]) {
      expect(isSecretName(name)).toBe(false);
      expect(() => assertSecretName(name)).toThrow(
        expect.objectContaining({ code: 'ERR_SECRET_NAME_INVALID' }),
      );
    }
  });

  it('does not repeat the refused name in the message', () => {
    expect(() => assertSecretName('../../etc/shadow')).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('shadow') }),
    );
  });
});
