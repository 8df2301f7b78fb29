// A small CSV reader (RFC 4180 plus the leniencies spreadsheets need): quoted fields with commas,
// doubled quotes and line breaks, CRLF or LF, a UTF-8 BOM, blank lines skipped.

export interface CsvRecord {
  /** 1-based line where the record starts (for error messages). */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Parse CSV text into records. Unquoted fields are trimmed; quoted ones are kept verbatim. */
export function parseCsv(input: string): CsvRecord[] {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    // One record: fields until an unquoted line break or the end of the text.
    for (;;) {
      let j = i;
      while (isBlank(text[j])) j++;
      let value: string;
      if (text[j] === '"') {
        // RFC 4180 §2.5–2.7: quoted field; "" is a literal quote; commas and line breaks allowed.
        const opened = line;
        j++;
        let out = '';
        for (;;) {
          if (j >= text.length) throw new CsvError(opened, 'unterminated quoted field');
          const c = text[j] as string;
          if (c === '"') {
            if (text[j + 1] === '"') {
              out += '"';
              j += 2;
              continue;
            }
            j++;
            break;
          }
          if (c === '\n') line++;
          out += c;
          j++;
        }
        while (isBlank(text[j])) j++;
        if (j < text.length && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r')
          throw new CsvError(line, `unexpected "${text[j]}" after a closing quote`);
        value = out;
      } else {
        let k = j;
        while (k < text.length && text[k] !== ',' && text[k] !== '\n' && text[k] !== '\r') k++;
        value = text.slice(j, k).trim();
        j = k;
      }
      fields.push(value);
      i = j;
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // End of record: CRLF, LF, lone CR or end of text.
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return records;
}
