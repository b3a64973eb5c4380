/**
 * Why a login did not happen, as the JSON answer of /auth/* names it. Everything at the callback
 * answers 401; a misused route 400; a provider that cannot be reached 502.
 */
export type LoginProblem =
  | 'login_disabled'
  | 'unknown_provider'
  | 'invalid_return_to'
  | 'unexpected_parameters'
  | 'provider_unavailable'
  | 'no_login'
  | 'bad_state'
  | 'state_used'
  | 'login_expired'
  | 'wrong_issuer'
  | 'access_denied'
  | 'provider_error'
  | 'no_code'
  | 'token_request_failed'
  | 'no_id_token'
  | 'malformed_id_token'
  | 'unsigned_id_token'
  | 'algorithm_refused'
  | 'signature_invalid'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claims'
  | 'nonce_mismatch'
  | 'userinfo_mismatch'
  | 'login_refused';

const STATUS: Partial<Record<LoginProblem, number>> = {
  login_disabled: 404,
  unknown_provider: 400,
  invalid_return_to: 400,
  unexpected_parameters: 400,
  provider_unavailable: 502,
};

export class LoginError extends Error {
  readonly status: number;

  constructor(
    readonly problem: LoginProblem,
    message: string,
  ) {
    super(message);
    this.name = 'LoginError';
    this.status = STATUS[problem] ?? 401;
  }

  /** The answer's body: what went wrong, in a code and in words; never a stack trace. */
  toJSON(): { error: LoginProblem; message: string } {
    return { error: this.problem, message: this.message };
  }
}
