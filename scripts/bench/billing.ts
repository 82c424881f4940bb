/**
 * DynamoDB request units by AWS's billing rules, computed from the items themselves.
 *
 * DynamoDB Local's ConsumedCapacity is not a bill: it reports two units for six small puts in one
 * transaction, where AWS bills twelve, and it leaves out index writes. So the bench sizes every item it sees
 * written or read and applies the rules below. Pure functions over low-level (marshalled) attribute values;
 * the table's keys and index projections are an input, read from the live table (`tableDefinitionFrom`).
 *
 * Sources (Amazon DynamoDB Developer Guide):
 * - item size: CapacityUnitCalculations.html ("DynamoDB item sizes and formats");
 * - read and write units, the larger of before and after, failed conditions: read-write-operations.html;
 * - transactions, two underlying writes or reads per item: transaction-apis.html ("Capacity management");
 * - index writes (put, delete, delete + put, nothing): GSI.html#GSI.Writes and its LSI counterpart.
 */
import type { AttributeValue, GlobalSecondaryIndexDescription, LocalSecondaryIndexDescription, TableDescription } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export const WRITE_UNIT_BYTES = 1024;
export const READ_UNIT_BYTES = 4096;

export type Projection = { type: 'ALL' } | { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; nonKeyAttributes: readonly string[] };

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey?: string;
  projection: Projection;
}

export interface TableDefinition {
  partitionKey: string;
  sortKey?: string;
  /** Global and local secondary indexes alike: each is written whenever an item it holds changes. */
  indexes: readonly IndexDefinition[];
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * "Numbers are variable length, with up to 38 significant digits. Leading and trailing zeroes are trimmed.
 * The size of a number is approximately … (1 byte per two significant digits) + (1 byte)."
 */
export function numberSize(text: string): number {
  const mantissa = text.trim().replace(/^[+-]/, '').split(/e/i)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

/** Size of a value without its attribute name. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  // "A binary value must be encoded in base64 … but the value's raw byte length is used."
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, element) => sum + utf8Bytes(element), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, element) => sum + numberSize(element), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, element) => sum + element.byteLength, 0);
  // "A List or Map requires 3 bytes of overhead, regardless of its contents", and "each List or Map
  // element also requires 1 byte of overhead"; a map element also carries its name.
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8Bytes(name) + valueSize(element), 0);
  throw new Error(`unsupported attribute value ${JSON.stringify(Object.keys(value))}`);
}

/** "The total size of an item is the sum of the lengths of its attribute names and values." */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8Bytes(name) + valueSize(value), 0);
}

/** One write unit per 1 KB, rounded up; a write of nothing (a missing item) still costs one. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

export type ReadMode = 'eventual' | 'strong' | 'transactional';
const READ_MODE_FACTOR: Readonly<Record<ReadMode, number>> = { eventual: 0.5, strong: 1, transactional: 2 };

/**
 * Per 4 KB rounded up: half a unit eventually consistent, one strongly consistent, two transactional. A read
 * that finds nothing still costs the first 4 KB.
 */
export function readUnits(bytes: number, mode: ReadMode): number {
  return Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES)) * READ_MODE_FACTOR[mode];
}

/** Keys and projections as DescribeTable reports them, so the bill follows whatever the table really has. */
export function tableDefinitionFrom(table: TableDescription): TableDefinition {
  const keyOf = (schema: TableDescription['KeySchema'], type: 'HASH' | 'RANGE') => schema?.find((element) => element.KeyType === type)?.AttributeName;
  const partitionKey = keyOf(table.KeySchema, 'HASH');
  if (!partitionKey) throw new Error(`table ${table.TableName ?? '?'} has no partition key in its description`);
  const sortKey = keyOf(table.KeySchema, 'RANGE');
  const index = (description: GlobalSecondaryIndexDescription | LocalSecondaryIndexDescription): IndexDefinition => {
    const indexPartitionKey = keyOf(description.KeySchema, 'HASH');
    if (!description.IndexName || !indexPartitionKey) throw new Error(`index without a name or partition key on ${table.TableName ?? '?'}`);
    const indexSortKey = keyOf(description.KeySchema, 'RANGE');
    const type = description.Projection?.ProjectionType ?? 'ALL';
    const projection: Projection =
      type === 'INCLUDE' ? { type, nonKeyAttributes: description.Projection?.NonKeyAttributes ?? [] } : type === 'KEYS_ONLY' ? { type } : { type: 'ALL' };
    return { name: description.IndexName, partitionKey: indexPartitionKey, ...(indexSortKey ? { sortKey: indexSortKey } : {}), projection };
  };
  return {
    partitionKey,
    ...(sortKey ? { sortKey } : {}),
    indexes: [...(table.GlobalSecondaryIndexes ?? []).map(index), ...(table.LocalSecondaryIndexes ?? []).map(index)],
  };
}

const tableKeyNames = (table: TableDefinition): string[] => [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
const indexKeyNames = (index: IndexDefinition): string[] => [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])];

/** The item's primary key attributes. */
export function primaryKeyOf(item: Item, table: TableDefinition): Item {
  const key: Item = {};
  for (const name of tableKeyNames(table)) {
    const value = item[name];
    if (!value) throw new Error(`item lacks key attribute ${name}`);
    key[name] = value;
  }
  return key;
}

/**
 * What the index holds for `item`: nothing when the item lacks one of the index's key attributes (a sparse
 * index); otherwise the table's key, the index's key and the projected attributes.
 */
export function indexEntry(item: Item | undefined, index: IndexDefinition, table: TableDefinition): Item | undefined {
  if (!item) return undefined;
  if (indexKeyNames(index).some((name) => item[name] === undefined)) return undefined;
  const keep = new Set([...tableKeyNames(table), ...indexKeyNames(index)]);
  if (index.projection.type === 'INCLUDE') for (const name of index.projection.nonKeyAttributes) keep.add(name);
  if (index.projection.type === 'ALL') return { ...item };
  return Object.fromEntries(Object.entries(item).filter(([name]) => keep.has(name)));
}

/** A canonical text for comparing values: map keys sorted, sets order-free, binary as base64. */
function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return `b64:${Buffer.from(value).toString('base64')}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, inner]) => inner !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, inner]) => {
        const isSet = name === 'SS' || name === 'NS' || name === 'BS';
        const text = isSet && Array.isArray(inner) ? `[${inner.map(canonical).sort().join(',')}]` : canonical(inner);
        return `${JSON.stringify(name)}:${text}`;
      })
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sameValue = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

export type IndexWrite = 'put' | 'delete' | 'update';

export interface IndexBill {
  index: string;
  writes: IndexWrite[];
  units: number;
}

export interface WriteBill {
  /** Units for the table item (doubled in a transaction). */
  table: number;
  /** Only the indexes that were written. */
  indexes: IndexBill[];
  total: number;
}

/**
 * What one index costs when an item goes from `before` to `after` (either may be absent):
 * - absent from the index before and after: nothing;
 * - newly in the index: one put; no longer in it: one delete;
 * - an index key value changed: a delete of the old entry plus a put of the new one;
 * - same key, and none of the projected attributes changed: nothing; otherwise one write of the larger entry.
 * Each index write is sized by the index entry and billed at the standard rate, also when the table write was
 * transactional: GSI.Writes prices index writes per table write and names no transactional surcharge.
 */
export function billIndexWrite(before: Item | undefined, after: Item | undefined, index: IndexDefinition, table: TableDefinition): IndexBill | undefined {
  const old = indexEntry(before, index, table);
  const next = indexEntry(after, index, table);
  if (!old && !next) return undefined;
  if (!old) return { index: index.name, writes: ['put'], units: writeUnits(itemSize(next)) };
  if (!next) return { index: index.name, writes: ['delete'], units: writeUnits(itemSize(old)) };
  const keyChanged = indexKeyNames(index).some((name) => !sameValue(old[name], next[name]));
  if (keyChanged) return { index: index.name, writes: ['delete', 'put'], units: writeUnits(itemSize(old)) + writeUnits(itemSize(next)) };
  if (sameValue(old, next)) return undefined;
  return { index: index.name, writes: ['update'], units: writeUnits(Math.max(itemSize(old), itemSize(next))) };
}

/**
 * A successful PutItem, UpdateItem or DeleteItem (alone, in a batch or in a transaction) that took the item
 * from `before` to `after`. "For PutItem, UpdateItem and DeleteItem … the larger of the two [item sizes]"
 * counts, rounded up to 1 KB; "transactional write requests require 2 write request units" per 1 KB.
 */
export function billWrite(before: Item | undefined, after: Item | undefined, table: TableDefinition, options: { transactional: boolean }): WriteBill {
  const tableUnits = writeUnits(Math.max(itemSize(before), itemSize(after))) * (options.transactional ? 2 : 1);
  const indexes = table.indexes.flatMap((index) => billIndexWrite(before, after, index, table) ?? []);
  return { table: tableUnits, indexes, total: tableUnits + indexes.reduce((sum, bill) => sum + bill.units, 0) };
}

/**
 * A single-item write whose condition failed: nothing changes, so no index is written, but the table write is
 * still billed, sized by the larger of the existing item and the one offered (at least one unit).
 */
export function billFailedConditionalWrite(existing: Item | undefined, offered: Item | undefined): WriteBill {
  const units = writeUnits(Math.max(itemSize(existing), itemSize(offered)));
  return { table: units, indexes: [], total: units };
}

/** A transaction's ConditionCheck: billed as a transactional write of the item it checks, changing nothing. */
export function billConditionCheck(existing: Item | undefined): WriteBill {
  const units = writeUnits(itemSize(existing)) * 2;
  return { table: units, indexes: [], total: units };
}

/** GetItem, and each key of a BatchGetItem or TransactGetItems, found or not. */
export function billItemRead(item: Item | undefined, mode: ReadMode): number {
  return readUnits(itemSize(item), mode);
}

/** Query and Scan: the sizes of all items read are summed and rounded up to 4 KB once per request. */
export function billQuery(items: readonly Item[], mode: Exclude<ReadMode, 'transactional'>): number {
  return readUnits(items.reduce((sum, item) => sum + itemSize(item), 0), mode);
}
