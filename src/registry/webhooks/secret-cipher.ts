import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MlflowError } from '../../core/errors.ts';

/**
 * Webhook secrets at rest: AES-256-GCM with the server's key. Stored as
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), with the webhook id as associated data, so a
 * ciphertext copied onto another webhook's row does not decrypt.
 */
export interface SecretCipher {
  encrypt(plain: string, webhookId: string): string;
  decrypt(stored: string, webhookId: string): string;
}

export function aesGcmSecretCipher(key: Uint8Array): SecretCipher {
  if (key.length !== 32) throw new MlflowError('INVALID_STATE', 'The webhook secret key must be 32 bytes');
  return {
    encrypt(plain, webhookId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(webhookId, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    decrypt(stored, webhookId) {
      const [version, iv, tag, body] = stored.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
        throw new MlflowError('DATA_LOSS', `The secret of webhook ${webhookId} is not in a known format`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(webhookId, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new MlflowError(
          'INVALID_STATE',
          `The secret of webhook ${webhookId} does not decrypt with the configured key (was the key changed?)`,
        );
      }
    },
  };
}
