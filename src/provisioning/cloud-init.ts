import { randomBytes } from 'node:crypto';

/**
 * The user-data a new instance gets: the user's own cloud-init, with the request's SSH key
 * added for the default user. With both, a multi-part MIME document, which cloud-init merges.
 */
export function buildUserData(userData: string | null, sshPublicKey: string | null): string | undefined {
  if (!sshPublicKey) return userData ?? undefined;
  const keyConfig = `#cloud-config\nssh_authorized_keys:\n  - ${JSON.stringify(sshPublicKey)}\n`;
  if (!userData) return keyConfig;
  const boundary = `skypool-${randomBytes(8).toString('hex')}`;
  const part = (content: string) => {
    const type = content.startsWith('#cloud-config') ? 'text/cloud-config' : content.startsWith('#!') ? 'text/x-shellscript' : 'text/plain';
    return `--${boundary}\nContent-Type: ${type}; charset="utf-8"\nMIME-Version: 1.0\n\n${content}${content.endsWith('\n') ? '' : '\n'}`;
  };
  return `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n${part(keyConfig)}${part(userData)}--${boundary}--\n`;
}
