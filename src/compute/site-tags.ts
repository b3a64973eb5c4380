/** The tags every instance Skypool starts carries at its site (api-contract.md). */
export const TAG_REQUEST = 'skypool:request';
export const TAG_PROJECT = 'skypool:project';
export const TAG_BROKER = 'skypool:broker';
export const TAG_ATTEMPT = 'skypool:attempt';

/** Skypool's tags and the request's own (submitted as `tags`); Skypool's keys win, though a request may not use them. */
export function instanceTags(brokerId: string, request: { id: string; projectId: string; tags: Record<string, string> }, attempt: number): Record<string, string> {
  return { ...request.tags, [TAG_REQUEST]: request.id, [TAG_PROJECT]: request.projectId, [TAG_BROKER]: brokerId, [TAG_ATTEMPT]: String(attempt) };
}

/**
 * RunInstances' idempotency token: at most 64 ASCII characters, the same for every retry of one
 * placement attempt at one site, different for the next attempt.
 */
export function clientToken(requestId: string, attempt: number, siteId: string): string {
  return `sp-${requestId.replace(/-/g, '')}-${attempt}-${siteId.replace(/-/g, '').slice(0, 12)}`;
}
