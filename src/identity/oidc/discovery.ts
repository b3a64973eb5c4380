import { ASYMMETRIC_ALGORITHMS } from './id-token.js';
import { LoginError } from './login-error.js';

const DISCOVERY_TIMEOUT_MS = 5000;

/** What Skypool uses of a provider's discovery document. */
export interface ProviderMetadata {
  /** exactly as the provider writes it: the `iss` its ID tokens carry */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  userinfoEndpoint?: string;
  /** the provider's ID token algorithms that a JWKS can verify */
  idTokenAlgorithms: string[];
}

function endpoint(doc: Record<string, unknown>, field: string, where: string, required: true): string;
function endpoint(doc: Record<string, unknown>, field: string, where: string, required: false): string | undefined;
function endpoint(doc: Record<string, unknown>, field: string, where: string, required: boolean): string | undefined {
  const value = doc[field];
  if (value === undefined && !required) return undefined;
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'https:' || url.protocol === 'http:') return value;
    } catch {
      // below
    }
  }
  throw new LoginError('provider_unavailable', `the discovery document at ${where} has no usable ${field}`);
}

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** Reads `<issuer>/.well-known/openid-configuration` and checks it is the issuer's own. */
export async function discover(issuer: string): Promise<ProviderMetadata> {
  const where = `${withoutTrailingSlash(issuer)}/.well-known/openid-configuration`;
  let doc: Record<string, unknown>;
  try {
    const res = await fetch(where, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = (await res.json()) as Record<string, unknown>;
    if (doc === null || typeof doc !== 'object') throw new Error('not a JSON object');
  } catch (err) {
    throw new LoginError('provider_unavailable', `the identity provider's discovery document at ${where} could not be read: ${(err as Error).message}`);
  }
  // OpenID Connect Discovery 4.3: the document must name the issuer it was fetched for
  if (typeof doc.issuer !== 'string' || withoutTrailingSlash(doc.issuer) !== withoutTrailingSlash(issuer)) {
    throw new LoginError('provider_unavailable', `the discovery document at ${where} is for issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
  }
  const offered = Array.isArray(doc.id_token_signing_alg_values_supported) ? doc.id_token_signing_alg_values_supported : ['RS256'];
  const idTokenAlgorithms = ASYMMETRIC_ALGORITHMS.filter((alg) => offered.includes(alg));
  if (idTokenAlgorithms.length === 0) {
    throw new LoginError('provider_unavailable', `the provider at ${issuer} signs ID tokens with none of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  }
  return {
    issuer: doc.issuer,
    authorizationEndpoint: endpoint(doc, 'authorization_endpoint', where, true),
    tokenEndpoint: endpoint(doc, 'token_endpoint', where, true),
    jwksUri: endpoint(doc, 'jwks_uri', where, true),
    userinfoEndpoint: endpoint(doc, 'userinfo_endpoint', where, false),
    idTokenAlgorithms,
  };
}
