/**
 * The RosterStore port on the single table. Staff share one partition; a staff member's address has an item
 * of its own whose condition keeps addresses unique. A customer's record and their manager history live in
 * the partition of their address; each of their other addresses has an item pointing at that record. A manager's `vipBook` changes only in the
 * same transaction as the `managerId` of the client who enters or leaves it.
 */
import { randomBytes } from 'node:crypto';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AddressLookup, ClaimManagerResult, CustomerFields, NewStaff, PutCustomerResult, RosterSnapshot, RosterStore, StaffPatch } from '../../ports/roster-store';
import { AddressTakenError, CapacityBelowBookError, ConcurrentChangeError, ManagerAtCapacityError, ManagerWithBookError, StaffEmailTakenError } from '../../roster/errors';
import type { Customer, ManagerChange, Staff } from '../../roster/model';
import { batchGetItems, cancellationReasons, failedCondition, fromItem, isConditionFailure, oldItemOf, retryOnConflict } from './items';
import {
  customerKey,
  customerPartition,
  MANAGER_CHANGE_SK_PREFIX,
  managerChangeKey,
  STAFF_PARTITION,
  rosterDirectoryKey,
  staffEmailKey,
  staffKey,
} from './keys';

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit on the actions of one transaction. */
const MAX_TRANSACTION_ACTIONS = 100;
/** Transactions of an import in flight at once. */
const IMPORT_CONCURRENCY = 8;
/** Attempts of one customer's read-plan-write when someone else keeps changing the record in between. */
const MAX_PUT_ATTEMPTS = 5;

const STAFF_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `st-` and 8 random base32 characters: short enough for a reply address, 40 bits against collisions. */
export function newStaffId(): string {
  const bytes = randomBytes(8);
  return `st-${Array.from(bytes, (byte) => STAFF_ID_ALPHABET[byte % 32]).join('')}`;
}

const CLEARABLE_CUSTOMER_FIELDS = ['managerId', 'language', 'antiPhishingCode'] as const;

/** One customer's write, planned from the record as read. */
interface CustomerPlan {
  result: PutCustomerResult;
  /** Everything but the managers' counters, which a group of plans merges. */
  actions: TransactItem[];
  /** +1 for the manager who gains the client, -1 for the one who loses them. */
  bookChanges: Map<string, number>;
  /** Addresses this plan writes alias items for (two plans doing so cannot share a transaction). */
  aliasKeys: string[];
}

export class DynamoRosterStore implements RosterStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ------------------------------------------------------------------------------------------- staff

  async createStaff(staff: NewStaff): Promise<Staff> {
    const email = staff.email.toLowerCase();
    for (let attempt = 0; ; attempt += 1) {
      const at = this.now().toISOString();
      const record: Staff = {
        id: newStaffId(),
        name: staff.name,
        email,
        role: staff.role,
        status: staff.status,
        ...(staff.backupId !== undefined ? { backupId: staff.backupId } : {}),
        ...(staff.capacity !== undefined ? { capacity: staff.capacity } : {}),
        vipBook: 0,
        openTickets: 0,
        createdAt: at,
        updatedAt: at,
      };
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tableName, Item: { ...staffKey(record.id), type: 'staff', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: this.tableName, Item: { ...staffEmailKey(email), type: 'staff-email', staffId: record.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
              directoryUpdate(this.tableName, record),
            ],
          }),
        );
        return record;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        if (failedCondition(reasons, 1)) throw new StaffEmailTakenError(email);
        // An id drawn twice (40 bits) or a conflict with a concurrent write: draw again.
        if (attempt >= 3) throw error;
      }
    }
  }

  async getStaff(id: string): Promise<Staff | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: staffKey(id) }));
    return Item ? fromItem<Staff>(Item) : undefined;
  }

  async findStaffByEmail(email: string): Promise<Staff | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: staffEmailKey(email) }));
    return typeof Item?.staffId === 'string' ? this.getStaff(Item.staffId) : undefined;
  }

  async listStaff(): Promise<Staff[]> {
    const staff: Staff[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': STAFF_PARTITION }, ExclusiveStartKey: startKey }),
      );
      staff.push(...(page.Items ?? []).map((item) => fromItem<Staff>(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return staff;
  }

  /** Sets only the fields given: `vipBook`, `openTickets` and `lastAssignedAt` belong to other writers. */
  async updateStaff(id: string, patch: StaffPatch): Promise<Staff | undefined> {
    for (let attempt = 0; attempt < MAX_PUT_ATTEMPTS; attempt += 1) {
      const current = await this.getStaff(id);
      if (!current) return undefined;
      const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#email': 'email' };
      const values: Record<string, unknown> = { ':updatedAt': this.now().toISOString(), ':currentEmail': current.email };
      const sets = ['#updatedAt = :updatedAt'];
      const removes: string[] = [];
      for (const field of ['name', 'email', 'role', 'status', 'backupId', 'capacity'] as const) {
        if (!(field in patch)) continue;
        names[`#${field}`] = field;
        const value = field === 'email' ? patch.email?.toLowerCase() : patch[field];
        if (value === undefined) removes.push(`#${field}`);
        else {
          sets.push(`#${field} = :${field}`);
          values[`:${field}`] = value;
        }
      }
      // The email condition pairs the record with the address items moved below, read a moment ago; the time
      // of the last change pairs it with the directory entry written beside it.
      const conditions = ['attribute_exists(pk)', '#email = :currentEmail', '#updatedAt = :currentUpdatedAt'];
      values[':currentUpdatedAt'] = current.updatedAt;
      if (patch.capacity !== undefined) conditions.push('#vipBook <= :capacity');
      if (patch.role !== undefined && patch.role !== 'manager') {
        conditions.push('#vipBook = :zero');
        values[':zero'] = 0;
      }
      if (conditions.some((condition) => condition.includes('#vipBook'))) names['#vipBook'] = 'vipBook';
      const update = {
        TableName: this.tableName,
        Key: staffKey(id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      };
      const newEmail = patch.email?.toLowerCase();
      const next = staffAfter(current, patch, String(values[':updatedAt']));
      try {
        if (newEmail === undefined || newEmail === current.email) {
          await this.client.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, directoryUpdate(this.tableName, next)] }));
          return await this.getStaff(id);
        }
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: update },
              directoryUpdate(this.tableName, next),
              { Delete: { TableName: this.tableName, Key: staffEmailKey(current.email), ConditionExpression: 'staffId = :id', ExpressionAttributeValues: { ':id': id } } },
              { Put: { TableName: this.tableName, Item: { ...staffEmailKey(newEmail), type: 'staff-email', staffId: id }, ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        );
        return await this.getStaff(id);
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons && newEmail !== undefined && newEmail !== current.email && failedCondition(reasons, 3)) throw new StaffEmailTakenError(newEmail);
        if (!isConditionFailure(error) && !(reasons && failedCondition(reasons, 0))) {
          if (reasons?.some((reason) => reason.Code === 'TransactionConflict')) continue;
          throw error;
        }
        const fresh = await this.getStaff(id);
        if (!fresh) return undefined;
        if (patch.capacity !== undefined && fresh.vipBook > patch.capacity) throw new CapacityBelowBookError(id, fresh.vipBook);
        if (patch.role !== undefined && patch.role !== 'manager' && fresh.vipBook > 0) throw new ManagerWithBookError(id, fresh.vipBook);
        // The address changed in between: read again and retry.
      }
    }
    throw new ConcurrentChangeError(`staff member ${id} kept changing while being updated; try again`);
  }

  // --------------------------------------------------------------------------------------- customers

  async lookupAddresses(addresses: readonly string[]): Promise<Map<string, AddressLookup>> {
    const wanted = [...new Set(addresses.map((address) => address.toLowerCase()))];
    const items = await this.batchGet(wanted.map((address) => customerKey(address)));
    const found = new Map<string, AddressLookup>();
    const byPartition = new Map(items.map((item) => [String(item.pk), item]));
    for (const address of wanted) {
      const item = byPartition.get(customerPartition(address));
      if (!item) continue;
      found.set(address, typeof item.aliasOf === 'string' ? { kind: 'alias', customerEmail: item.aliasOf } : { kind: 'customer', customer: customerOf(item) });
    }
    return found;
  }

  async findCustomer(address: string): Promise<Customer | undefined> {
    const found = (await this.lookupAddresses([address])).get(address.toLowerCase());
    if (!found) return undefined;
    if (found.kind === 'customer') return found.customer;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: customerKey(found.customerEmail) }));
    return Item && Item.aliasOf === undefined ? customerOf(Item) : undefined;
  }

  async managerHistory(email: string): Promise<ManagerChange[]> {
    const changes: ManagerChange[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': customerPartition(email), ':prefix': MANAGER_CHANGE_SK_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      changes.push(...(page.Items ?? []).map((item) => fromItem<ManagerChange>(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return changes;
  }

  async putCustomer(email: string, fields: CustomerFields, by: string): Promise<PutCustomerResult> {
    const address = email.toLowerCase();
    for (let attempt = 0; attempt < MAX_PUT_ATTEMPTS; attempt += 1) {
      const addresses = [address, ...(fields.aliases ?? [])];
      const lookups = await this.lookupAddresses(addresses);
      const plan = this.plan(address, fields, by, lookups);
      if (plan.actions.length === 0) return plan.result;
      const managerActions = [...plan.bookChanges].map(([managerId, change]) => this.bookAction(managerId, change));
      const actions = [...plan.actions, ...managerActions];
      try {
        await retryOnConflict(() => this.client.send(new TransactWriteCommand({ TransactItems: actions })));
        return plan.result;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        const failed = (index: number) => failedCondition(reasons, index);
        if (failed(0)) continue; // the record changed since it was read: plan again
        const managerIndex = managerActions.findIndex((_, index) => failed(plan.actions.length + index));
        if (managerIndex !== -1) {
          const [managerId] = [...plan.bookChanges][managerIndex] ?? [];
          throw new ManagerAtCapacityError(managerId ?? '');
        }
        const aliasFailure = plan.actions.findIndex((_, index) => index > 0 && failed(index));
        if (aliasFailure !== -1) {
          const taken = await this.lookupAddresses(addresses);
          const owner = [...taken].find(([other, found]) => other !== address && (found.kind === 'customer' || found.customerEmail !== address));
          if (owner) throw new AddressTakenError(owner[0], owner[1].kind === 'customer' ? owner[1].customer.email : owner[1].customerEmail);
          const self = taken.get(address);
          if (self?.kind === 'alias') throw new AddressTakenError(address, self.customerEmail);
          continue;
        }
        throw error;
      }
    }
    throw new ConcurrentChangeError(`customer ${address} kept changing while being updated; try again`);
  }

  async putCustomers(entries: ReadonlyArray<{ email: string; fields: CustomerFields }>, by: string, asRead?: RosterSnapshot): Promise<PutCustomerResult[]> {
    const normalised = entries.map((entry) => ({ email: entry.email.toLowerCase(), fields: entry.fields }));
    const addresses = normalised.flatMap((entry) => [entry.email, ...(entry.fields.aliases ?? [])]);
    const lookups = asRead ? asRead.addresses : await this.lookupAddresses(addresses);
    const plans = normalised.map((entry) => this.plan(entry.email, entry.fields, by, lookups));
    const results: PutCustomerResult[] = plans.map((plan) => plan.result);
    const pending = plans.map((plan, index) => ({ plan, index, entry: normalised[index]! })).filter(({ plan }) => plan.actions.length > 0);
    const staff = new Map((asRead?.staff ?? (pending.some(({ plan }) => plan.bookChanges.size > 0) ? await this.listStaff() : [])).map((member) => [member.id, member]));
    // Clients of the same manager travel together, so one counter update covers many of them.
    pending.sort((a, b) => managerOrder(a.plan).localeCompare(managerOrder(b.plan)));
    const groups = packGroups(pending);
    // Two transactions on the same manager's counter at once would cancel each other (TransactionConflict):
    // a group waits while another one holding one of its managers is in flight.
    const busy = new Set<string>();
    const managersOf = (group: typeof pending) => new Set(group.flatMap(({ plan }) => [...plan.bookChanges.keys()]));
    const waiting: Array<() => void> = [];
    const takeGroup = async (): Promise<typeof pending | undefined> => {
      for (;;) {
        if (groups.length === 0) return undefined;
        const index = groups.findIndex((group) => ![...managersOf(group)].some((id) => busy.has(id)));
        if (index !== -1) return groups.splice(index, 1)[0];
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    };
    const worker = async () => {
      for (let group = await takeGroup(); group; group = await takeGroup()) {
        const managers = managersOf(group);
        for (const id of managers) busy.add(id);
        try {
          const applied = await this.applyGroup(group.map(({ plan }) => plan), staff);
          if (!applied) {
            // The group's reads went stale, or a manager's book filled meanwhile: each line again on its own.
            for (const { index, entry } of group) results[index] = await this.putCustomer(entry.email, entry.fields, by);
          }
        } finally {
          for (const id of managers) busy.delete(id);
          for (const resume of waiting.splice(0)) resume();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, groups.length) }, worker));
    return results;
  }

  /** One strongly consistent batch read of the staff items, for their counters only. */
  async staffCounters(ids: readonly string[]): Promise<Map<string, Pick<Staff, 'openTickets' | 'vipBook' | 'lastAssignedAt'>>> {
    const counters = new Map<string, Pick<Staff, 'openTickets' | 'vipBook' | 'lastAssignedAt'>>();
    const items = await batchGetItems(this.client, this.tableName, [...new Set(ids)].map(staffKey), { consistent: true, projection: 'sk, openTickets, vipBook, lastAssignedAt' });
    for (const item of items) {
      counters.set(String(item.sk), {
        openTickets: Number(item.openTickets ?? 0),
        vipBook: Number(item.vipBook ?? 0),
        ...(typeof item.lastAssignedAt === 'string' ? { lastAssignedAt: item.lastAssignedAt } : {}),
      });
    }
    return counters;
  }

  async claimManager(customerEmail: string, managerId: string, by: string): Promise<ClaimManagerResult> {
    const email = customerEmail.toLowerCase();
    const at = this.now().toISOString();
    const change: ManagerChange = { at, to: managerId, by };
    try {
      await retryOnConflict(() =>
        this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: customerKey(email),
                  UpdateExpression: 'SET #managerId = :managerId, #updatedAt = :at',
                  ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#managerId)',
                  ExpressionAttributeNames: { '#managerId': 'managerId', '#updatedAt': 'updatedAt' },
                  ExpressionAttributeValues: { ':managerId': managerId, ':at': at },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: staffKey(managerId),
                  UpdateExpression: 'ADD #vipBook :one',
                  ConditionExpression: '#role = :manager AND #status = :active AND (attribute_not_exists(#capacity) OR #vipBook < #capacity)',
                  ExpressionAttributeNames: { '#vipBook': 'vipBook', '#role': 'role', '#status': 'status', '#capacity': 'capacity' },
                  ExpressionAttributeValues: { ':one': 1, ':manager': 'manager', ':active': 'active' },
                },
              },
              { Put: { TableName: this.tableName, Item: this.historyItem(email, change) } },
            ],
          }),
        ),
      );
      return { status: 'claimed' };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (failedCondition(reasons, 0)) {
        const old = oldItemOf(reasons[0]?.Item);
        if (typeof old?.managerId === 'string') return { status: 'has-manager', managerId: old.managerId };
        throw new Error(`no customer ${email} to give a manager`);
      }
      if (failedCondition(reasons, 1)) return { status: 'unavailable' };
      throw error;
    }
  }

  // ---------------------------------------------------------------------------------------- internals

  /** The writes that make the record say `fields`, conditional on the record as `lookups` read it. */
  private plan(email: string, fields: CustomerFields, by: string, lookups: ReadonlyMap<string, AddressLookup>): CustomerPlan {
    const at = this.now().toISOString();
    const found = lookups.get(email);
    if (found?.kind === 'alias') throw new AddressTakenError(email, found.customerEmail);
    const current = found?.customer;
    const next: Customer = current ? { ...current, aliases: [...current.aliases] } : { email, aliases: [], tier: 'standard', createdAt: at, updatedAt: at };
    if (fields.tier !== undefined) next.tier = fields.tier;
    if (fields.aliases !== undefined) next.aliases = [...new Set(fields.aliases.map((alias) => alias.toLowerCase()))].filter((alias) => alias !== email);
    for (const field of CLEARABLE_CUSTOMER_FIELDS) {
      if (!(field in fields)) continue;
      const value = fields[field];
      if (value === undefined) delete next[field];
      else (next as unknown as Record<string, unknown>)[field] = value;
    }
    const created = current === undefined;
    const changed = created || !sameCustomer(current, next);
    if (!changed) return { result: { customer: current, changed: false, created: false }, actions: [], bookChanges: new Map(), aliasKeys: [] };
    next.updatedAt = at;

    const names: Record<string, string> = { '#email': 'email', '#aliases': 'aliases', '#tier': 'tier', '#updatedAt': 'updatedAt', '#createdAt': 'createdAt', '#type': 'type' };
    const values: Record<string, unknown> = { ':email': email, ':aliases': next.aliases, ':tier': next.tier, ':updatedAt': at, ':createdAt': next.createdAt, ':type': 'customer' };
    const sets = ['#type = :type', '#email = :email', '#aliases = :aliases', '#tier = :tier', '#createdAt = :createdAt', '#updatedAt = :updatedAt'];
    const removes: string[] = [];
    for (const field of CLEARABLE_CUSTOMER_FIELDS) {
      names[`#${field}`] = field;
      const value = next[field];
      if (value === undefined) removes.push(`#${field}`);
      else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    // The record as read: anything written since (a claim, another update) sends this plan back to be redone.
    const condition = '#updatedAt = :readUpdatedAt';
    if (current) values[':readUpdatedAt'] = current.updatedAt;
    const actions: TransactItem[] = [
      created
        ? // A new address: neither a customer's nor another customer's alias (the same item either way). A plain
          // put: nothing of anyone else's to keep, and far less for DynamoDB to evaluate than an update.
          { Put: { TableName: this.tableName, Item: { ...customerKey(email), type: 'customer', ...next }, ConditionExpression: 'attribute_not_exists(pk)' } }
        : {
            Update: {
              TableName: this.tableName,
              Key: customerKey(email),
              UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            },
          },
    ];
    const before = new Set(current?.aliases ?? []);
    const added = next.aliases.filter((alias) => !before.has(alias));
    const removed = [...before].filter((alias) => !next.aliases.includes(alias));
    for (const alias of added) {
      actions.push({
        Put: {
          TableName: this.tableName,
          Item: { ...customerKey(alias), type: 'customer-alias', alias, aliasOf: email },
          ConditionExpression: 'attribute_not_exists(pk) OR aliasOf = :me',
          ExpressionAttributeValues: { ':me': email },
        },
      });
    }
    for (const alias of removed) {
      actions.push({ Delete: { TableName: this.tableName, Key: customerKey(alias), ConditionExpression: 'aliasOf = :me', ExpressionAttributeValues: { ':me': email } } });
    }
    const bookChanges = new Map<string, number>();
    if (current?.managerId !== next.managerId) {
      const change: ManagerChange = { at, by, ...(current?.managerId ? { from: current.managerId } : {}), ...(next.managerId ? { to: next.managerId } : {}) };
      actions.push({ Put: { TableName: this.tableName, Item: this.historyItem(email, change) } });
      if (current?.managerId) bookChanges.set(current.managerId, -1);
      if (next.managerId) bookChanges.set(next.managerId, 1);
    }
    return { result: { customer: next, changed: true, created }, actions, bookChanges, aliasKeys: [...added, ...removed] };
  }

  /**
   * A manager's counter change. Gaining clients is conditional on the role and on room in the book: `vipBook <
   * capacity` for one client; for several, on the capacity read when the group was planned.
   */
  private bookAction(managerId: string, change: number, capacityAsRead?: { capacity?: number }): TransactItem {
    const names: Record<string, string> = { '#vipBook': 'vipBook' };
    const values: Record<string, unknown> = { ':change': change };
    let condition = 'attribute_exists(pk)';
    if (change > 0) {
      names['#role'] = 'role';
      names['#capacity'] = 'capacity';
      values[':manager'] = 'manager';
      if (change === 1 || capacityAsRead === undefined) condition = '#role = :manager AND (attribute_not_exists(#capacity) OR #vipBook < #capacity)';
      else if (capacityAsRead.capacity === undefined) condition = '#role = :manager AND attribute_not_exists(#capacity)';
      else {
        condition = '#role = :manager AND #capacity = :capacity AND #vipBook <= :roomFor';
        values[':capacity'] = capacityAsRead.capacity;
        values[':roomFor'] = capacityAsRead.capacity - change;
      }
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: staffKey(managerId),
        UpdateExpression: 'ADD #vipBook :change',
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** One transaction for a group of plans; false when a condition failed (nothing was written). */
  private async applyGroup(plans: CustomerPlan[], staff: Map<string, Staff>): Promise<boolean> {
    const changes = new Map<string, number>();
    for (const plan of plans) for (const [managerId, change] of plan.bookChanges) changes.set(managerId, (changes.get(managerId) ?? 0) + change);
    const managerActions = [...changes].filter(([, change]) => change !== 0).map(([managerId, change]) => this.bookAction(managerId, change, staff.get(managerId) ?? {}));
    try {
      await retryOnConflict(() => this.client.send(new TransactWriteCommand({ TransactItems: [...plans.flatMap((plan) => plan.actions), ...managerActions] })));
      return true;
    } catch (error) {
      if (cancellationReasons(error)?.some((reason) => reason.Code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }

  private historyItem(email: string, change: ManagerChange): Item {
    return { ...managerChangeKey(email, change.at, randomBytes(4).toString('hex')), type: 'manager-change', ...change };
  }

  private async batchGet(keys: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const unique = [...new Map(keys.map((key) => [`${key.pk}|${key.sk}`, key])).values()];
    return (await batchGetItems(this.client, this.tableName, unique)) as Item[];
  }

}

/** A staff record as the directory keeps it: everything but the load counters, which change on every ticket. */
function directoryEntry(staff: Staff): Omit<Staff, 'vipBook' | 'openTickets' | 'lastAssignedAt'> {
  const { vipBook: _book, openTickets: _open, lastAssignedAt: _last, ...entry } = staff;
  return entry;
}

/** Writes one staff member's entry into the directory item (one top-level attribute per staff id). */
function directoryUpdate(tableName: string, staff: Staff) {
  return {
    Update: {
      TableName: tableName,
      Key: rosterDirectoryKey(),
      UpdateExpression: 'SET #member = :entry, #type = :type',
      ExpressionAttributeNames: { '#member': staff.id, '#type': 'type' },
      ExpressionAttributeValues: { ':entry': directoryEntry(staff), ':type': 'roster-directory' },
    },
  };
}

/** The staff members the directory item lists, with their counters at zero (read them with staffCounters). */
export function staffFromDirectory(item: Record<string, unknown> | undefined): Staff[] {
  if (!item) return [];
  return Object.entries(item)
    .filter(([name, value]) => name.startsWith('st-') && value !== null && typeof value === 'object')
    .map(([, value]) => ({ vipBook: 0, openTickets: 0, ...(value as Omit<Staff, 'vipBook' | 'openTickets'>) }));
}

/** The record `patch` makes of `current` (a removed field is gone). */
function staffAfter(current: Staff, patch: StaffPatch, updatedAt: string): Staff {
  const next: Record<string, unknown> = { ...current, updatedAt };
  for (const field of ['name', 'email', 'role', 'status', 'backupId', 'capacity'] as const) {
    if (!(field in patch)) continue;
    const value = field === 'email' ? patch.email?.toLowerCase() : patch[field];
    if (value === undefined) delete next[field];
    else next[field] = value;
  }
  return next as unknown as Staff;
}

export function customerOf(item: Item): Customer {
  const customer = fromItem<Customer & { type?: string }>(item);
  return { ...customer, aliases: customer.aliases ?? [] };
}

function sameCustomer(a: Customer, b: Customer): boolean {
  return (
    a.tier === b.tier &&
    a.managerId === b.managerId &&
    a.language === b.language &&
    a.antiPhishingCode === b.antiPhishingCode &&
    a.aliases.length === b.aliases.length &&
    a.aliases.every((alias, index) => b.aliases[index] === alias)
  );
}

const managerOrder = (plan: CustomerPlan) => [...plan.bookChanges.keys()].sort().join(',');

/**
 * Plans packed into transactions of at most 100 actions, counting one counter update per manager touched.
 * Plans that write alias items travel alone: one transaction may not name the same item twice.
 */
function packGroups<T extends { plan: CustomerPlan }>(pending: T[]): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let actions = 0;
  let managers = new Set<string>();
  for (const entry of pending) {
    const joined = new Set([...managers, ...entry.plan.bookChanges.keys()]);
    const size = actions + entry.plan.actions.length;
    if (current.length > 0 && (size + joined.size > MAX_TRANSACTION_ACTIONS || entry.plan.aliasKeys.length > 0)) {
      groups.push(current);
      current = [];
      actions = 0;
      managers = new Set();
    }
    current.push(entry);
    actions += entry.plan.actions.length;
    managers = new Set([...managers, ...entry.plan.bookChanges.keys()]);
    if (entry.plan.aliasKeys.length > 0) {
      groups.push(current);
      current = [];
      actions = 0;
      managers = new Set();
    }
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
