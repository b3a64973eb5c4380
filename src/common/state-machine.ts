/** Thrown when code asks for a transition the table does not allow: a bug, never user input. */
export class IllegalTransitionError extends Error {
  constructor(kind: string, from: string, to: string) {
    super(`illegal ${kind} transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** A finite-state machine defined by one explicit transition table. */
export class StateMachine<S extends string> {
  constructor(
    private readonly kind: string,
    private readonly transitions: Readonly<Record<S, readonly S[]>>,
  ) {}

  canTransition(from: S, to: S): boolean {
    return this.transitions[from].includes(to);
  }

  assertTransition(from: S, to: S): void {
    if (!this.canTransition(from, to)) throw new IllegalTransitionError(this.kind, from, to);
  }

  isFinal(state: S): boolean {
    return this.transitions[state].length === 0;
  }

  states(): S[] {
    return Object.keys(this.transitions) as S[];
  }
}

/**
 * Thrown when a compare-and-set write of a state finds the row in another state than the one it
 * was read in: someone else moved it meanwhile. The transaction is run again (see Db.transaction),
 * so its work re-reads the row and decides anew.
 */
export class StaleStateError extends Error {
  constructor(kind: string, id: string, expected: string) {
    super(`${kind} ${id} is no longer ${expected}: it was moved meanwhile`);
    this.name = 'StaleStateError';
  }
}
