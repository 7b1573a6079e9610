import {
  createEnvSecretProvider,
  createVaultSecretProvider,
  type SecretProvider,
} from 'gatehouse/secrets';

import { getConfig } from './config';
import { processSingleton } from './process-singleton';

/**
 * The secret provider service keys are read through when `GATEHOUSE_SECRET_PROVIDER` is `env` or
 * `vault`; `undefined` for the embedded files, which the service-key store reads itself.
 */
export function getSecretProvider(): SecretProvider | undefined {
  return processSingleton('secret-provider', () => {
    const { secrets } = getConfig();
    if (secrets.provider === 'env') return createEnvSecretProvider({ environment: process.env });
    if (secrets.provider === 'vault' && secrets.vault) {
      return createVaultSecretProvider({
        address: secrets.vault.address,
        token: secrets.vault.token,
        mount: secrets.vault.mount,
        pathPrefix: secrets.vault.pathPrefix,
        ...(secrets.vault.namespace ? { namespace: secrets.vault.namespace } : {}),
        readOnly: true,
      });
    }
    return undefined;
  });
}
