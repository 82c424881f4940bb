/**
 * A roster exported from a spreadsheet: UTF-8 with or without a byte-order mark, CRLF or LF line ends,
 * columns named by the header in any case and order. Problems are reported by line number.
 */
import { parse } from 'csv-parse/sync';
import { IMPORT_COLUMNS, type ImportColumn, type LineError, type RawImportLine } from '../../functions/roster/validation';

export class RosterFileError extends Error {
  override readonly name = 'RosterFileError';
}

export interface RosterFile {
  lines: RawImportLine[];
  /** Lines whose shape is wrong (cell count); their cells are not checked further. */
  errors: LineError[];
}

const COLUMN_BY_LOWER_NAME = new Map<string, ImportColumn>(IMPORT_COLUMNS.map((column) => [column.toLowerCase(), column]));

/** Decodes bytes as UTF-8 (a BOM dropped); anything that is not UTF-8 is refused rather than guessed. */
export function decodeRosterFile(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RosterFileError('the file is not UTF-8 text (save it from the spreadsheet as "CSV UTF-8")');
  }
}

export function readRosterCsv(text: string): RosterFile {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // CRLF inside a quoted cell would count as two lines in csv-parse's line numbers.
    records = parse(text.replace(/\r\n/g, '\n'), { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (error) {
    throw new RosterFileError(`cannot read the file as CSV: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new RosterFileError('the file is empty: expected a header line such as email,tier,manager,language,antiPhishingCode');
  const columns: ImportColumn[] = [];
  const problems: string[] = [];
  for (const name of header.record) {
    const column = COLUMN_BY_LOWER_NAME.get(name.toLowerCase());
    if (!column) problems.push(`unknown column ${JSON.stringify(name)}`);
    else if (columns.includes(column)) problems.push(`column ${column} appears twice`);
    else columns.push(column);
  }
  if (!columns.includes('email')) problems.push('no email column');
  if (problems.length > 0) throw new RosterFileError(`header (line ${header.info.lines}): ${problems.join('; ')}; the columns are ${IMPORT_COLUMNS.join(', ')}`);

  const lines: RawImportLine[] = [];
  const errors: LineError[] = [];
  for (const { record, info } of rows) {
    if (record.length !== header.record.length) {
      errors.push({ line: info.lines, errors: [`expected ${header.record.length} cells as in the header, found ${record.length}`] });
      continue;
    }
    const line: RawImportLine = { line: info.lines };
    columns.forEach((column, index) => {
      line[column] = record[index] ?? '';
    });
    lines.push(line);
  }
  return { lines, errors };
}
