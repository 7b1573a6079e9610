import { describe, expect, it } from 'vitest';

import { createRequestContext } from '../pipeline/context.js';
import { recordingLogger } from '../pipeline/test-support.js';
import { createAccessTokenVerifier, issueAccessToken } from './access-token.js';
import { createBearerAuthenticator } from './bearer.js';
import { createKeyRing, generateSigningKey } from './key-ring.js';

const settings = { issuer: 'https://api.test', audience: 'https://api.test/api' };
const ring = await createKeyRing([await generateSigningKey()]);
const authenticator = createBearerAuthenticator(createAccessTokenVerifier(ring, settings));
const { token } = await issueAccessToken(ring, settings, { userId: 'u-42', role: 'admin' });

async function authenticate(authorization?: string) {
  const logger = recordingLogger();
  const ctx = createRequestContext('req-1', '127.0.0.1', logger);
  const request = new Request('https://api.test/api/me', {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { caller: await authenticator.authenticate(request, ctx), logger };
}

describe('the Bearer authenticator', () => {
  it('turns a valid access token into the principal', async () => {
    expect((await authenticate(`Bearer ${token}`)).caller).toEqual({
      userId: 'u-42',
      role: 'admin',
    });
  });

  it('accepts the scheme in any case (RFC 7235 §2.1)', async () => {
    expect((await authenticate(`bearer ${token}`)).caller).toEqual({
      userId: 'u-42',
      role: 'admin',
    });
  });

  it('reports no credentials when there is no Authorization header', async () => {
    expect((await authenticate()).caller).toBeUndefined();
  });

  it.each([
    ['another scheme', `Basic ${btoa('u:p')}`],
    ['the scheme alone', 'Bearer'],
    ['two spaces', `Bearer  ${token}`],
    ['two tokens', `Bearer ${token}, Bearer ${token}`],
    ['a token with a space inside', `Bearer ${token.slice(0, 10)} ${token.slice(10)}`],
  ])('refuses %s as invalid and logs why, never the token', async (_name, header) => {
    const { caller, logger } = await authenticate(header);
    expect(caller).toBe('invalid');
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', message: 'access token refused' });
    expect(JSON.stringify(logger.lines)).not.toContain(token.slice(20, 60));
  });

  it('logs the verifier reason for a token that fails verification', async () => {
    const tampered = `${token.slice(0, -4)}AAAA`;
    const { caller, logger } = await authenticate(`Bearer ${tampered}`);
    expect(caller).toBe('invalid');
    expect(logger.lines.at(-1)?.fields).toMatchObject({ reason: 'signature', requestId: 'req-1' });
  });
});
