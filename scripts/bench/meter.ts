/**
 * Counts the AWS requests a piece of code makes, and bills its DynamoDB requests by AWS's rules
 * (`billing.ts`), through middleware on the very SDK clients the code is given.
 *
 * One entry per API call (an SDK retry of the same call is not counted again). For a DynamoDB write, the
 * items before and after are read through a separate, unmetered client, so updates, replaced items and index
 * changes are billed from what really changed. This is only sound while nothing else writes the same items
 * at the same time, which is how the bench uses it: one message at a time.
 *
 * Every DynamoDB request is also sent with `ReturnConsumedCapacity: TOTAL`, so the units the emulator
 * reports can be shown next to the bill.
 */
import { DescribeTableCommand, GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BuildMiddleware, InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import {
  billConditionCheck,
  billFailedConditionalWrite,
  billItemRead,
  billQuery,
  billWrite,
  primaryKeyOf,
  tableDefinitionFrom,
  type Item,
  type TableDefinition,
  type WriteBill,
} from './billing';

export interface MeteredCall {
  /** `DynamoDB`, `S3`, `SES`, … (the client's name without "Client"). */
  service: string;
  /** `PutItem`, `GetObject`, … */
  operation: string;
  readUnits: number;
  writeUnits: number;
  /** Units DynamoDB Local reported for the same request (ConsumedCapacity), for comparison. */
  reportedReadUnits: number;
  reportedWriteUnits: number;
  /** Error name when the call failed (a failed conditional write is still billed). */
  failed?: string;
  /** Index writes this call caused, e.g. `gsi1 put`. */
  indexWrites: string[];
}

const CAPACITY_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'TransactGetItems', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'TransactGetItems', 'Query', 'Scan']);

type Input = Record<string, unknown>;
type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

// The clients' stacks differ in their input and output types; the meter only reads plain fields of both.
type AnyStack = MiddlewareStack<any, any>;

export class AwsMeter {
  private calls: MeteredCall[] = [];
  private readonly tables = new Map<string, Promise<TableDefinition>>();
  /** Off by default: the bench meters only the code under measurement, not its own set-up and look-ups. */
  recording = false;

  /** `reference` must not be attached: it reads items before and after each write, unmetered. */
  constructor(private readonly reference: DynamoDBClient) {}

  /** Meters every request sent through `client` (any AWS SDK v3 client; a document client shares its base client's stack). */
  attach(client: { middlewareStack: AnyStack }): void {
    const askForCapacity: InitializeMiddleware<Input, Input> = (next, context) => async (args) => {
      const capacityOperation = context.clientName === 'DynamoDBClient' && CAPACITY_OPERATIONS.has((context.commandName ?? '').replace(/Command$/, ''));
      if (this.recording && capacityOperation && args.input.ReturnConsumedCapacity === undefined) args.input = { ...args.input, ReturnConsumedCapacity: 'TOTAL' };
      return next(args);
    };
    client.middlewareStack.add(askForCapacity, { step: 'initialize', name: 'awsMeterCapacityRequest', override: true });
    // The build step runs once per call, after a document client has marshalled its input.
    const meterCall: BuildMiddleware<Input, Input> = (next, context) => async (args) => {
      if (!this.recording) return next(args);
      const service = (context.clientName ?? 'Unknown').replace(/Client$/, '');
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (service === 'DynamoDB' && CAPACITY_OPERATIONS.has(operation)) return this.meterDynamo(operation, args, next);
      try {
        const result = await next(args);
        this.record({ service, operation });
        return result;
      } catch (error) {
        this.record({ service, operation, failed: errorName(error) });
        throw error;
      }
    };
    client.middlewareStack.add(meterCall, { step: 'build', name: 'awsMeterCalls', override: true });
  }

  /** The calls since the last `take()`, and starts a new list. */
  take(): MeteredCall[] {
    const calls = this.calls;
    this.calls = [];
    return calls;
  }

  /** The definitions of the tables billed so far, as DescribeTable gave them. */
  async tableDefinitions(): Promise<Map<string, TableDefinition>> {
    const entries = await Promise.all([...this.tables.entries()].map(async ([name, definition]) => [name, await definition] as const));
    return new Map(entries);
  }

  private record(call: Partial<MeteredCall> & { service: string; operation: string }): void {
    this.calls.push({ readUnits: 0, writeUnits: 0, reportedReadUnits: 0, reportedWriteUnits: 0, indexWrites: [], ...call });
  }

  private tableDefinition(tableName: string): Promise<TableDefinition> {
    let definition = this.tables.get(tableName);
    if (!definition) {
      definition = this.reference.send(new DescribeTableCommand({ TableName: tableName })).then(({ Table }) => {
        if (!Table) throw new Error(`DescribeTable ${tableName} returned no table`);
        return tableDefinitionFrom(Table);
      });
      this.tables.set(tableName, definition);
    }
    return definition;
  }

  private async currentItem(tableName: string, key: Item): Promise<Item | undefined> {
    const { Item: item } = await this.reference.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    return item;
  }

  private async meterDynamo<Args extends { input: Input }>(
    operation: string,
    args: Args,
    next: (args: Args) => Promise<{ output: Input; response: unknown }>,
  ): Promise<{ output: Input; response: unknown }> {
    const input = args.input;
    if (READ_OPERATIONS.has(operation)) {
      let result: { output: Input; response: unknown };
      try {
        result = await next(args);
      } catch (error) {
        this.record({ service: 'DynamoDB', operation, failed: errorName(error) });
        throw error;
      }
      const bill = await this.billRead(operation, input, result.output);
      this.record({ service: 'DynamoDB', operation, readUnits: bill.read, ...reported(operation, result.output) });
      return result;
    }

    const writes = await this.plannedWrites(operation, input);
    for (const write of writes) write.before = await this.currentItem(write.tableName, write.key);
    let result: { output: Input; response: unknown };
    try {
      result = await next(args);
    } catch (error) {
      const name = errorName(error);
      // A single-item write whose condition failed is still billed. A cancelled transaction reports no
      // consumed capacity on AWS and changes nothing: it is counted as a request with no units.
      const bills = name === 'ConditionalCheckFailedException' ? writes.map((write) => billFailedConditionalWrite(write.before, write.offered)) : [];
      this.record({ service: 'DynamoDB', operation, failed: name, ...totals(bills, writes) });
      throw error;
    }
    const transactional = operation === 'TransactWriteItems';
    const bills: WriteBill[] = [];
    for (const write of writes) {
      if (write.kind === 'check') {
        bills.push(billConditionCheck(write.before));
        continue;
      }
      const after = write.kind === 'delete' ? undefined : write.kind === 'put' ? write.offered : await this.currentItem(write.tableName, write.key);
      bills.push(billWrite(write.before, after, await this.tableDefinition(write.tableName), { transactional }));
    }
    this.record({ service: 'DynamoDB', operation, ...totals(bills, writes), ...reported(operation, result.output) });
    return result;
  }

  /** The items a write request touches, with their keys; `offered` is the whole item of a put. */
  private async plannedWrites(operation: string, input: Input): Promise<PlannedWrite[]> {
    const planned: Array<Omit<PlannedWrite, 'key'> & { key?: Item }> = [];
    const table = input.TableName as string | undefined;
    if (operation === 'PutItem') planned.push({ kind: 'put', tableName: table!, offered: input.Item as Item });
    if (operation === 'UpdateItem') planned.push({ kind: 'update', tableName: table!, key: input.Key as Item });
    if (operation === 'DeleteItem') planned.push({ kind: 'delete', tableName: table!, key: input.Key as Item });
    if (operation === 'TransactWriteItems') {
      for (const action of (input.TransactItems as Array<Record<string, { TableName: string; Item?: Item; Key?: Item }>>) ?? []) {
        if (action.Put) planned.push({ kind: 'put', tableName: action.Put.TableName, offered: action.Put.Item! });
        if (action.Update) planned.push({ kind: 'update', tableName: action.Update.TableName, key: action.Update.Key! });
        if (action.Delete) planned.push({ kind: 'delete', tableName: action.Delete.TableName, key: action.Delete.Key! });
        if (action.ConditionCheck) planned.push({ kind: 'check', tableName: action.ConditionCheck.TableName, key: action.ConditionCheck.Key! });
      }
    }
    if (operation === 'BatchWriteItem') {
      // Unprocessed requests come back and are sent again, so this bills them twice; DynamoDB Local does not throttle.
      const requests = (input.RequestItems as Record<string, Array<{ PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }>>) ?? {};
      for (const [tableName, list] of Object.entries(requests)) {
        for (const request of list) {
          if (request.PutRequest) planned.push({ kind: 'put', tableName, offered: request.PutRequest.Item });
          if (request.DeleteRequest) planned.push({ kind: 'delete', tableName, key: request.DeleteRequest.Key });
        }
      }
    }
    const writes: PlannedWrite[] = [];
    for (const write of planned) {
      const key = write.key ?? primaryKeyOf(write.offered!, await this.tableDefinition(write.tableName));
      writes.push({ ...write, key });
    }
    return writes;
  }

  private async billRead(operation: string, input: Input, output: Input): Promise<{ read: number }> {
    let read = 0;
    const getAll = async (tableName: string, keys: Item[], mode: 'eventual' | 'strong' | 'transactional') => {
      // Billed from the whole stored item: a projection expression does not make a read cheaper.
      for (const key of keys) read += billItemRead(await this.currentItem(tableName, key), mode);
    };
    if (operation === 'GetItem') await getAll(input.TableName as string, [input.Key as Item], input.ConsistentRead ? 'strong' : 'eventual');
    if (operation === 'BatchGetItem') {
      // Every key asked for is read, found or not ("each item in the batch as an individual GetItem").
      for (const [tableName, request] of Object.entries((input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>) ?? {})) {
        await getAll(tableName, request.Keys, request.ConsistentRead ? 'strong' : 'eventual');
      }
    }
    if (operation === 'TransactGetItems') {
      for (const { Get } of (input.TransactItems as Array<{ Get: { TableName: string; Key: Item } }>) ?? []) await getAll(Get.TableName, [Get.Key], 'transactional');
    }
    if (operation === 'Query' || operation === 'Scan') {
      // Sized from the stored items (re-read by key), whatever projection the query asked for.
      const tableName = input.TableName as string;
      const definition = await this.tableDefinition(tableName);
      const items: Item[] = [];
      for (const item of (output.Items as Record<string, unknown>[] | undefined) ?? []) {
        const stored = await this.currentItem(tableName, primaryKeyOfAnyForm(item, definition));
        if (stored) items.push(stored);
      }
      read += billQuery(items, input.ConsistentRead ? 'strong' : 'eventual');
    }
    return { read };
  }
}

interface PlannedWrite {
  kind: 'put' | 'update' | 'delete' | 'check';
  tableName: string;
  key: Item;
  offered?: Item;
  before?: Item;
}

function totals(bills: WriteBill[], writes: PlannedWrite[]): { writeUnits: number; indexWrites: string[] } {
  return {
    writeUnits: bills.reduce((sum, bill) => sum + bill.total, 0),
    indexWrites: bills.flatMap((bill, index) => bill.indexes.map((entry) => `${keyLabel(writes[index]?.key)} → ${entry.index} ${entry.writes.join('+')}`)),
  };
}

/** The partition key's prefix (`TICKET`, `INBOUND`, …) names the entity in this single-table design. */
function keyLabel(key: Item | undefined): string {
  const first = key ? Object.values(key)[0] : undefined;
  return first?.S?.split('#')[0] ?? '?';
}

function reported(operation: string, output: Input): { reportedReadUnits: number; reportedWriteUnits: number } {
  const consumed = output.ConsumedCapacity as Capacity | Capacity[] | undefined;
  const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  const isRead = READ_OPERATIONS.has(operation);
  let read = 0;
  let write = 0;
  for (const entry of list) {
    read += entry.ReadCapacityUnits ?? (isRead ? (entry.CapacityUnits ?? 0) : 0);
    write += entry.WriteCapacityUnits ?? (isRead ? 0 : (entry.CapacityUnits ?? 0));
  }
  return { reportedReadUnits: read, reportedWriteUnits: write };
}

/**
 * The primary key of a query result. Results reach the build step unmarshalled when a document client sent
 * the query (`pk: 'TICKET#1'`) and marshalled when a base client did (`pk: { S: 'TICKET#1' }`).
 */
export function primaryKeyOfAnyForm(item: Record<string, unknown>, table: TableDefinition): Item {
  const key: Item = {};
  for (const name of [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])]) {
    const value = item[name];
    if (typeof value === 'string') key[name] = { S: value };
    else if (typeof value === 'number' || typeof value === 'bigint') key[name] = { N: String(value) };
    else if (value instanceof Uint8Array) key[name] = { B: value };
    else if (value && typeof value === 'object') key[name] = value as AttributeValue;
    else throw new Error(`query result lacks key attribute ${name}`);
  }
  return key;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}
