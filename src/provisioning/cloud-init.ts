import { randomBytes } from 'node:crypto';

/**
 * The user-data a new instance gets: the user's own cloud-init, with the request's SSH key added
 * for the default user. With both, a multi-part MIME document, which cloud-init merges: the
 * user's own, if it already is one, with the key as one more part.
 */
export function buildUserData(userData: string | null, sshPublicKey: string | null): string | undefined {
  if (!sshPublicKey) return userData ?? undefined;
  const keyConfig = `#cloud-config\nssh_authorized_keys:\n  - ${JSON.stringify(sshPublicKey)}\n`;
  if (!userData) return keyConfig;
  // A part's merge_how says how it merges into the parts before it; by default its list would
  // replace the user's own ssh_authorized_keys, so the key part comes last and appends.
  const keyPart = `${keyConfig}merge_how: 'list(append)+dict(no_replace,recurse_list)'\n`;
  const existing = multipartBoundary(userData);
  if (existing) {
    const end = userData.lastIndexOf(`--${existing}--`);
    const parts = end === -1 ? userData : userData.slice(0, end);
    return `${parts}${parts.endsWith('\n') ? '' : '\n'}${part(existing, keyPart)}--${existing}--\n`;
  }
  const boundary = `skypool-${randomBytes(8).toString('hex')}`;
  return `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n${part(boundary, userData)}${part(boundary, keyPart)}--${boundary}--\n`;
}

function part(boundary: string, content: string): string {
  const type = content.startsWith('#cloud-config') ? 'text/cloud-config' : content.startsWith('#!') ? 'text/x-shellscript' : 'text/plain';
  return `--${boundary}\nContent-Type: ${type}; charset="utf-8"\nMIME-Version: 1.0\n\n${content}${content.endsWith('\n') ? '' : '\n'}`;
}

/** The boundary of user-data that is a multi-part MIME document (as cloud-init's make-mime writes them), else undefined. */
function multipartBoundary(userData: string): string | undefined {
  // The headers end at the first empty line; a header may go on over indented lines.
  const headers = userData.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const match = /^content-type:\s*multipart\/[^\r\n]*?\bboundary=(?:"([^"]+)"|([^\s;]+))/im.exec(headers);
  return match ? (match[1] ?? match[2]) : undefined;
}
