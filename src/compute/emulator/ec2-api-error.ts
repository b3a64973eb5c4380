/**
 * An error the emulated EC2 endpoint answers with, in EC2's own words: the code and HTTP status
 * a real EC2 endpoint would use, so the SDK and the driver's error mapping see the same thing.
 */
export class Ec2ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** 400 for client errors, 401 for AuthFailure, 500 for InternalError and the capacity errors, 503 for RequestLimitExceeded / Unavailable. */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'Ec2ApiError';
  }
}

export const missingParameter = (name: string): Ec2ApiError =>
  new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`);

export const invalidParameterValue = (message: string): Ec2ApiError => new Ec2ApiError('InvalidParameterValue', message);

/** EC2's answer to an action it does not have (or, at a site without the feature, does not offer). */
export const invalidAction = (name: string): Ec2ApiError =>
  new Ec2ApiError('InvalidAction', `The action ${name} is not valid for this web service.`);

export const authFailure = (message = 'AWS was not able to validate the provided access credentials'): Ec2ApiError =>
  new Ec2ApiError('AuthFailure', message, 401);

/** EC2 names every missing id of a call at once, in one of two sentence forms. */
export function instancesNotFound(ids: string[]): Ec2ApiError {
  const message =
    ids.length === 1
      ? `The instance ID '${ids[0]}' does not exist`
      : `The instance IDs '${ids.join(', ')}' do not exist`;
  return new Ec2ApiError('InvalidInstanceID.NotFound', message);
}
