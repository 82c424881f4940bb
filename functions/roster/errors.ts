/**
 * What the roster refuses because of the roster's state (not the request's shape): the API answers 409 with
 * the message, the CLI prints it.
 */
export class RosterConflictError extends Error {
  override readonly name: string = 'RosterConflictError';
}

export class StaffEmailTakenError extends RosterConflictError {
  override readonly name = 'StaffEmailTakenError';
  constructor(readonly email: string) {
    super(`another staff member already has the address ${email}`);
  }
}

export class AddressTakenError extends RosterConflictError {
  override readonly name = 'AddressTakenError';
  constructor(
    readonly address: string,
    readonly owner: string,
  ) {
    super(owner === address ? `${address} is already a customer of its own` : `${address} is already an address of the customer ${owner}`);
  }
}

export class ManagerAtCapacityError extends RosterConflictError {
  override readonly name = 'ManagerAtCapacityError';
  constructor(readonly managerId: string) {
    super(`manager ${managerId} is at capacity, or no longer an active manager`);
  }
}

export class CapacityBelowBookError extends RosterConflictError {
  override readonly name = 'CapacityBelowBookError';
  constructor(
    readonly staffId: string,
    readonly vipBook: number,
  ) {
    super(`capacity cannot be set below ${staffId}'s current book of ${vipBook} clients`);
  }
}

export class ManagerWithBookError extends RosterConflictError {
  override readonly name = 'ManagerWithBookError';
  constructor(
    readonly staffId: string,
    readonly vipBook: number,
  ) {
    super(`${staffId} is the dedicated manager of ${vipBook} clients: give them another manager before changing the role`);
  }
}

/** Someone else changed the same record between our read and our write, again and again. */
export class ConcurrentChangeError extends RosterConflictError {
  override readonly name = 'ConcurrentChangeError';
}
