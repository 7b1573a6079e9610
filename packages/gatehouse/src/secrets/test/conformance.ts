/**
 * The behaviour every `SecretProvider` shares, as one suite each provider's tests run: reads,
 * listings, names, values kept out of metadata, and versions or refusals on `put`.
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { SecretMetadata, SecretProvider } from '../provider.js';

/** A provider under test, fresh for each case. */
export interface ProviderUnderTest {
  readonly provider: SecretProvider;
  /** Makes `name` hold `value` the way an operator would: `put`, a variable, a mounted file. */
  seed(name: string, value: string): Promise<void>;
  cleanup?(): Promise<void>;
}

/** Distinctive enough that finding it in serialized metadata means a leak. */
const VALUE = 'conformance-value-7f3a9c1e';
const OTHER_VALUE = 'conformance-other-41d0b6a2';

export const INVALID_NAMES = [
  '',
  '../x',
  'a/../b',
  'a/..',
  '/abs',
  'a//b',
  'a/',
  '.hidden',
  'a/.hidden',
  '_private',
  'Upper',
  'a b',
  'a\u0000b',
  'a\\b',
  'caf\u00e9',
  'x'.repeat(129),
];

/** Every encoding of `value` a careless serializer could produce. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

function expectNoValue(metadata: unknown): void {
  const serialized = JSON.stringify(metadata);
  for (const encoded of [...encodings(VALUE), ...encodings(OTHER_VALUE)]) {
    expect(serialized).not.toContain(encoded);
  }
}

function expectMetadataShape(metadata: SecretMetadata | undefined, name: string): void {
  expect(metadata).toBeDefined();
  expect(Object.keys(metadata ?? {}).sort()).toEqual(['createdAt', 'name', 'updatedAt', 'version']);
  expect(metadata?.name).toBe(name);
}

/** Registers the shared cases for one provider. */
export function describeProviderConformance(
  label: string,
  setup: () => Promise<ProviderUnderTest>,
): void {
  describe(`${label}: SecretProvider conformance`, () => {
    let subject: ProviderUnderTest;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await subject.cleanup?.();
    });

    it('answers undefined for a secret that does not exist', async () => {
      expect(await subject.provider.get('absent')).toBeUndefined();
      expect(await subject.provider.metadata('absent')).toBeUndefined();
    });

    it('reads a secret with metadata equal to what metadata() returns', async () => {
      await subject.seed('alpha', VALUE);
      const secret = await subject.provider.get('alpha');

      expect(Buffer.from(secret?.value ?? []).toString('utf8')).toBe(VALUE);
      expectMetadataShape(secret?.metadata, 'alpha');
      expect(await subject.provider.metadata('alpha')).toEqual(secret?.metadata);
    });

    it('lists every secret sorted by name, with the metadata metadata() returns', async () => {
      await subject.seed('beta_2', OTHER_VALUE);
      await subject.seed('alpha', VALUE);
      const listed = await subject.provider.list();

      expect(listed.map((m) => m.name)).toEqual(['alpha', 'beta_2']);
      expect(listed).toEqual([
        await subject.provider.metadata('alpha'),
        await subject.provider.metadata('beta_2'),
      ]);
    });

    it('never puts a value, in any encoding, into metadata or listings', async () => {
      await subject.seed('alpha', VALUE);
      await subject.seed('beta_2', OTHER_VALUE);

      expectNoValue(await subject.provider.list());
      expectNoValue(await subject.provider.metadata('alpha'));
      expectNoValue((await subject.provider.get('beta_2'))?.metadata);
    });

    it('refuses names outside the grammar in every method with ERR_SECRET_NAME_INVALID', async () => {
      for (const name of INVALID_NAMES) {
        const refused = { code: 'ERR_SECRET_NAME_INVALID' };
        await expect(subject.provider.get(name)).rejects.toMatchObject(refused);
        await expect(subject.provider.metadata(name)).rejects.toMatchObject(refused);
        await expect(subject.provider.put(name, VALUE)).rejects.toMatchObject(refused);
      }
    });

    it('either stores growing versions on put, or refuses put with ERR_SECRET_READ_ONLY', async () => {
      const { provider } = subject;
      if (!provider.writable) {
        await subject.seed('alpha', VALUE);
        await expect(provider.put('alpha', OTHER_VALUE)).rejects.toMatchObject({
          code: 'ERR_SECRET_READ_ONLY',
        });
        expect(Buffer.from((await provider.get('alpha'))?.value ?? []).toString()).toBe(VALUE);
        return;
      }

      const first = await provider.put('alpha', VALUE);
      const second = await provider.put('alpha', OTHER_VALUE);
      expectMetadataShape(second, 'alpha');
      expect(Number(second.version)).toBeGreaterThan(Number(first.version));
      expect(second.createdAt).toEqual(first.createdAt);
      expect(second.updatedAt?.getTime()).toBeGreaterThanOrEqual(first.updatedAt?.getTime() ?? 0);

      const current = await provider.get('alpha');
      expect(Buffer.from(current?.value ?? []).toString()).toBe(OTHER_VALUE);
      expect(current?.metadata).toEqual(second);
      expectNoValue([first, second]);
    });

    it('stores bytes that are not UTF-8 unchanged when writable', async () => {
      if (!subject.provider.writable) return;
      const bytes = new Uint8Array([0xff, 0x00, 0xfe, 0x80, 0x0a]);
      await subject.provider.put('binary', bytes);
      expect((await subject.provider.get('binary'))?.value).toEqual(bytes);
    });
  });
}
