// The one hierarchy of expected errors. Services throw these; GraphQL exposes them as typed errors.
// Anything else is masked, logged with a correlation id, and never reaches the client.
export type DomainErrorCode =
  'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'INVALID_INPUT' | 'CONFLICT' | 'NO_TASK_AVAILABLE' | 'LEASE_EXPIRED' | 'BUDGET_EXCEEDED' | 'TOO_MANY_REQUESTS';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super('INVALID_INPUT', problems.length ? `${message}: ${problems.join('; ')}` : message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found`);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'you are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}
