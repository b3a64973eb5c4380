import { ApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import { normalizeUrl, profilePath, readProfile, removeProfile, saveProfile } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { printJson } from './output.js';
import type { OutputOptions } from './request-commands.js';

interface Me {
  id: string;
  kind: string;
  name: string;
  roles: { role: string; institution: string | null; project: { name: string } | null }[];
  projects: { id: string; name: string }[];
}

const ME = '{ me { id kind name roles { role institution project { name } } projects { id name } } }';

/** Reads a token typed at a terminal without showing it, or the first line piped in. */
async function readToken(input: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += String(chunk);
    return text.split('\n')[0]!.trim();
  }
  input.setRawMode(true); // before the prompt, so nothing typed after it is ever echoed
  prompt.write('API token (not shown): ');
  input.resume();
  try {
    let token = '';
    for await (const chunk of input) {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return token.trim();
        if (char === '\u0003') throw new CliError('login cancelled', ExitCode.USAGE); // Ctrl-C
        token = char === '\u007f' || char === '\b' ? token.slice(0, -1) : token + char;
      }
    }
    return token.trim();
  } finally {
    input.setRawMode(false);
    input.pause();
    prompt.write('\n');
  }
}

/**
 * `skypool login --url URL`: asks for a token (or reads it from stdin), checks it with the broker,
 * and keeps both in the profile, readable by this account alone.
 */
export async function login(rawUrl: string | undefined, env: NodeJS.ProcessEnv, out: OutputOptions): Promise<void> {
  const url = normalizeUrl(rawUrl ?? env.SKYPOOL_URL ?? readProfile(env)?.url ?? '', '--url');
  const token = await readToken(process.stdin, process.stderr);
  if (!token) throw new CliError('no token given: paste an API token (made in the portal, or by `createApiToken`), or pipe one in', ExitCode.USAGE);
  const { me } = await new ApiClient({ url, token, tokenSource: 'the token given' }).request<{ me: Me }>(ME);
  const path = saveProfile(env, { url, token });
  if (out.json) return printJson({ url, profile: path, me }, out.print);
  out.print(`logged in to ${url} as ${me.name} (${me.kind}); the token is kept in ${path}`);
}

/** `skypool logout`: forgets the profile (the token itself stays valid until it expires or is revoked). */
export function logout(env: NodeJS.ProcessEnv, out: OutputOptions): void {
  const profile = readProfile(env);
  const removed = removeProfile(env);
  if (out.json) return printJson({ loggedOutOf: removed ? profile!.url : null }, out.print);
  if (!removed) return out.print(`not logged in (no profile at ${profilePath(env)})`);
  out.print(`logged out of ${profile!.url}; revoke the token with \`skypool tokens revoke\` if it may have leaked`);
}

/** `skypool whoami`: who the broker takes the token for, with the roles and projects. */
export async function whoami(api: ApiClient, json: boolean, print: (line: string) => void): Promise<void> {
  const { me } = await api.request<{ me: Me }>(ME);
  if (json) return printJson(me, print);
  print(`${me.name} (${me.kind}) at ${api.url}`);
  for (const grant of me.roles) print(`  ${grant.role}${grant.project ? ` of project ${grant.project.name}` : ''}${grant.institution ? ` at ${grant.institution}` : ''}`);
  if (me.projects.length > 0) print(`  projects: ${me.projects.map((p) => p.name).join(', ')}`);
}
