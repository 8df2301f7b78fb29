// The CSV reader (table-driven) and the bulk-enrolment mapping of CSV rows to node bodies.
import test from 'ava';
import { CsvError, parseCsv } from '../../../src/cli/csv.js';
import { nodesFromCsv } from '../../../src/cli/node-csv.js';

const PARSE_CASES: Array<[string, string, string[][]]> = [
  [
    'simple rows',
    'a,b,c\n1,2,3\n',
    [
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ],
  ],
  [
    'no trailing newline',
    'a,b\n1,2',
    [
      ['a', 'b'],
      ['1', '2'],
    ],
  ],
  [
    'CRLF line ends',
    'a,b\r\n1,2\r\n',
    [
      ['a', 'b'],
      ['1', '2'],
    ],
  ],
  [
    'lone CR line ends',
    'a,b\r1,2\r',
    [
      ['a', 'b'],
      ['1', '2'],
    ],
  ],
  [
    'a comma inside quotes',
    'name,desc\nn1,"rack 1, slot 2"\n',
    [
      ['name', 'desc'],
      ['n1', 'rack 1, slot 2'],
    ],
  ],
  ['doubled quotes', '"say ""hi""",x\n', [['say "hi"', 'x']]],
  [
    'a line break inside quotes',
    '"two\nlines",x\ny,z\n',
    [
      ['two\nlines', 'x'],
      ['y', 'z'],
    ],
  ],
  [
    'empty fields',
    'a,,c\n,,\n',
    [
      ['a', '', 'c'],
      ['', '', ''],
    ],
  ],
  ['an empty quoted field', 'a,"",c\n', [['a', '', 'c']]],
  [
    'blank lines are skipped',
    'a,b\n\n1,2\n\n',
    [
      ['a', 'b'],
      ['1', '2'],
    ],
  ],
  ['unquoted fields are trimmed', ' a , b \n', [['a', 'b']]],
  ['quoted fields keep their spaces', '" a ", "b" \n', [[' a ', 'b']]],
  ['a UTF-8 BOM is dropped', '\uFEFFname,mac\n', [['name', 'mac']]],
  ['a quote inside an unquoted field is literal', 'a"b,c\n', [['a"b', 'c']]],
  ['a trailing comma makes an empty last field', 'a,b,\n', [['a', 'b', '']]],
  ['empty input', '', []],
];

for (const [title, input, expected] of PARSE_CASES) {
  test(`parseCsv: ${title}`, (t) => {
    t.deepEqual(
      parseCsv(input).map((r) => r.fields),
      expected,
    );
  });
}

test('parseCsv reports the starting line of each record', (t) => {
  t.deepEqual(
    parseCsv('h1,h2\n"multi\nline",x\n\nlast,y\n').map((r) => r.line),
    [1, 2, 5],
  );
});

const ERROR_CASES: Array<[string, string, number, RegExp]> = [
  ['an unterminated quote', 'a,b\n"open,x\ny,z\n', 2, /unterminated quoted field/],
  ['text after a closing quote', 'a,b\n"x"y,z\n', 2, /unexpected "y" after a closing quote/],
];

for (const [title, input, line, message] of ERROR_CASES) {
  test(`parseCsv rejects ${title} with its line`, (t) => {
    const error = t.throws(() => parseCsv(input), { instanceOf: CsvError });
    t.is(error.line, line);
    t.regex(error.message, message);
  });
}

const HEADER = 'name,ipmi_address,ipmi_username,ipmi_password';

const ROW_CASES: Array<[string, string, Array<Record<string, unknown>>]> = [
  [
    'one mac column',
    `${HEADER},mac\nn1,198.18.1.1,admin,pw,52:54:00:00:00:01\n`,
    [
      {
        line: 2,
        name: 'n1',
        body: {
          name: 'n1',
          driver: 'ipmi',
          driver_info: { ipmi_address: '198.18.1.1', ipmi_username: 'admin', ipmi_password: 'pw' },
          ports: [{ address: '52:54:00:00:00:01' }],
        },
      },
    ],
  ],
  [
    'mac and mac2 columns, MACs normalised, the empty one ignored',
    `${HEADER},mac,mac2,mac3\nn1,198.18.1.1,admin,pw,52-54-00-00-00-0A,52540000000b,\n`,
    [
      {
        line: 2,
        name: 'n1',
        body: {
          name: 'n1',
          driver: 'ipmi',
          driver_info: { ipmi_address: '198.18.1.1', ipmi_username: 'admin', ipmi_password: 'pw' },
          ports: [{ address: '52:54:00:00:00:0a' }, { address: '52:54:00:00:00:0b' }],
        },
      },
    ],
  ],
  [
    'a ;-separated macs column and an ipmi_port',
    `${HEADER},ipmi_port,macs\nn1,198.18.1.1,admin,"p,w",6230,"52:54:00:00:00:01; 52:54:00:00:00:02"\n`,
    [
      {
        line: 2,
        name: 'n1',
        body: {
          name: 'n1',
          driver: 'ipmi',
          driver_info: {
            ipmi_address: '198.18.1.1',
            ipmi_username: 'admin',
            ipmi_password: 'p,w',
            ipmi_port: 6230,
          },
          ports: [{ address: '52:54:00:00:00:01' }, { address: '52:54:00:00:00:02' }],
        },
      },
    ],
  ],
  [
    'header names in any case, a row without a name',
    'IPMI_Address,MAC\n198.18.1.2,52:54:00:00:00:03\n',
    [
      {
        line: 2,
        name: undefined,
        body: {
          driver: 'ipmi',
          driver_info: { ipmi_address: '198.18.1.2' },
          ports: [{ address: '52:54:00:00:00:03' }],
        },
      },
    ],
  ],
  [
    'a bad MAC fails only its row',
    `${HEADER},mac\nn1,198.18.1.1,a,p,zz:zz\nn2,198.18.1.2,a,p,52:54:00:00:00:04\n`,
    [
      { line: 2, name: 'n1', error: '"zz:zz" is not a MAC address' },
      {
        line: 3,
        name: 'n2',
        body: {
          name: 'n2',
          driver: 'ipmi',
          driver_info: { ipmi_address: '198.18.1.2', ipmi_username: 'a', ipmi_password: 'p' },
          ports: [{ address: '52:54:00:00:00:04' }],
        },
      },
    ],
  ],
  [
    'a wrong field count fails the row',
    `${HEADER},mac\nn1,198.18.1.1\n`,
    [{ line: 2, name: 'n1', error: 'has 2 fields but the header has 5' }],
  ],
  [
    'a bad ipmi_port fails the row',
    'name,ipmi_address,ipmi_port\nn1,198.18.1.1,99999\n',
    [{ line: 2, name: 'n1', error: 'ipmi_port "99999" is not a port number' }],
  ],
];

for (const [title, input, expected] of ROW_CASES) {
  test(`nodesFromCsv: ${title}`, (t) => {
    t.deepEqual(nodesFromCsv(input, 'nodes.csv'), expected as unknown);
  });
}

const HEADER_ERRORS: Array<[string, string, RegExp]> = [
  ['an empty file', '', /nodes\.csv is empty/],
  ['an unknown column', 'name,ipmi_adress,mac\n', /unknown column\(s\) "ipmi_adress"/],
  ['a duplicate column', 'name,mac,mac\n', /column "mac" appears twice/],
  ['no lookup column', 'name,ipmi_username\n', /needs an ipmi_address or a mac column/],
  ['broken quoting', 'name,mac\n"n1,52:54:00:00:00:01\n', /nodes\.csv: line 2: unterminated quoted field/],
];

for (const [title, input, message] of HEADER_ERRORS) {
  test(`nodesFromCsv rejects ${title} as a usage error`, (t) => {
    const error = t.throws(() => nodesFromCsv(input, 'nodes.csv'));
    t.regex(error.message, message);
    t.is((error as { exitCode?: number }).exitCode, 2);
  });
}
