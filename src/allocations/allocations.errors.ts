import { DomainError } from '../common/errors.js';

/** What the allocations domain (projects, allocations) refuses, by name; graphql/format-error.ts maps each to the API's code. */
export enum AllocationsErrorCode {
  ProjectNotFound = 'PROJECT_NOT_FOUND',
  ProjectNameTaken = 'PROJECT_NAME_TAKEN',
  AllocationNotFound = 'ALLOCATION_NOT_FOUND',
  AllocationRevoked = 'ALLOCATION_REVOKED',
  /** an allocation's values that do not make sense (an end before its start, a limit cleared) */
  InvalidAllocation = 'ALLOCATION_INVALID',
}

export class AllocationsError extends DomainError<AllocationsErrorCode> {
  static projectNotFound(id: string): AllocationsError {
    return new AllocationsError(AllocationsErrorCode.ProjectNotFound, `project ${id} does not exist`);
  }

  static allocationNotFound(id: string): AllocationsError {
    return new AllocationsError(AllocationsErrorCode.AllocationNotFound, `allocation ${id} does not exist`);
  }
}
