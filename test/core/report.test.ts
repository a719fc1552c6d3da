import type { TargetResult } from '../../src/core/outcome.js';
import {
  formatDuration,
  renderSummaryMarkdown,
  renderTextSummary,
  resultJson,
  type ReportContext,
} from '../../src/core/report.js';
import { renderJUnit } from '../../src/core/report-junit.js';

const BREAKER = '\u00B7'; // the visible breaker neutralize inserts
const TIME_NOTE = "Times are the server's local time.";

const succeeded: TargetResult = {
  target: 'finance/Package/1005',
  platform: 'timextender',
  runId: '9001',
  status: 'succeeded',
  rawStatus: 'Completed',
  startedAt: '2024-05-01 10:00:00',
  finishedAt: '2024-05-01 10:01:27',
  durationSeconds: 87,
  timeNote: TIME_NOTE,
  failedTasks: [],
  logFile: '/tmp/run-1/orchestration.log',
};

const failed: TargetResult = {
  target: 'sales/Package/7',
  platform: 'timextender',
  runId: '9002',
  status: 'failed',
  rawStatus: 'Failed',
  startedAt: '2024-05-01 08:00:00',
  finishedAt: '2024-05-01 10:03:00',
  durationSeconds: 7380,
  timeNote: TIME_NOTE,
  message: 'Task "Load | Sales" failed: ::error::boom',
  failedTasks: [
    {
      name: 'Load | Sales',
      type: 'Package',
      id: '41',
      status: 'Failed',
      startedAt: '2024-05-01T08:00:00Z',
      finishedAt: '2024-05-01T08:00:30Z',
      logExcerpt: ['step 1 ok', '::error::table missing', '</details><img src=x onerror=alert(1)>', 'a | b ``` c', '##vso[task.complete result=Succeeded]'],
      errorLines: ['::error::table missing'],
    },
    {
      name: 'Refresh <Model>',
      type: 'Query',
      id: '42',
      status: 'Failed',
      logExcerpt: [],
      errorLines: [],
      logNote: 'Query tasks keep no log',
    },
  ],
  logFile: '/tmp/run-1/orchestration.log',
};

const timedOut: TargetResult = {
  target: 'hr/ProcessMap/3',
  platform: 'timextender',
  runId: '9003',
  status: 'timed-out',
  rawStatus: 'Running',
  startedAt: '2024-05-01 10:00:00',
  durationSeconds: 1800,
  timeNote: TIME_NOTE,
  message: 'Timed out after 30m',
  failedTasks: [],
  cancel: { requested: true, accepted: true, note: 'The server stopped the run' },
};

const RESULTS = [succeeded, failed, timedOut];
const CTX: ReportContext = {
  platform: 'timextender',
  mode: 'run',
  logFile: '/tmp/run-1/orchestration.log',
  generatedAt: '2024-05-01T10:05:00',
  ciContext: { system: 'github', runUrl: 'https://github.com/o/r/actions/runs/1', runId: '1', workflow: 'Load', commit: 'abcdef1234567890', actor: 'octocat' },
};

/** The cells of a markdown table row, split on unescaped pipes. */
function cells(row: string): string[] {
  return row
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Lines of the markdown outside fenced code blocks: what a renderer treats as markdown and HTML. */
function outsideFences(markdown: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const run = /^(`{3,})\s*$/.exec(line)?.[1];
    if (fence === undefined && run !== undefined) fence = run;
    else if (fence !== undefined && run !== undefined && run.length >= fence.length) fence = undefined;
    else if (fence === undefined) out.push(line);
  }
  expect(fence).toBeUndefined();
  return out;
}

describe('formatDuration', () => {
  it.each([
    [undefined, '—'],
    [0, '0s'],
    [45, '45s'],
    [59.6, '1m 00s'],
    [87, '1m 27s'],
    [3599, '59m 59s'],
    [3600, '1h 00m'],
    [7380, '2h 03m'],
    [90_000, '25h 00m'],
    [Number.NaN, '—'],
    [-5, '—'],
  ])('%p → %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('renderSummaryMarkdown', () => {
  const markdown = renderSummaryMarkdown(RESULTS, CTX);
  const lines = markdown.split('\n');

  it('starts with the heading and the overall status', () => {
    expect(lines[0]).toBe('## orchestration-run: timextender run');
    expect(lines[2]).toBe('❌ **failed** — 3 targets: 1 failed, 1 timed-out, 1 succeeded');
  });

  it('uses the title when given', () => {
    expect(renderSummaryMarkdown([succeeded], { ...CTX, title: 'Nightly load' }).split('\n')[0]).toBe('## Nightly load');
    expect(renderSummaryMarkdown([succeeded], CTX)).toContain('✅ **succeeded** — 1 target: 1 succeeded');
  });

  it('has a table with one row per target and seven cells in every row', () => {
    const header = lines.indexOf('| Target | Run id | Status | Started | Finished | Duration | Failed tasks |');
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toBe('|---|---|---|---|---|---|---|');
    const rows = lines.slice(header + 2, header + 5).map(cells);
    for (const row of rows) expect(row).toHaveLength(7);
    expect(rows[0]).toEqual(['finance/Package/1005', '9001', '✅ succeeded (Completed)', '2024-05-01 10:00:00', '2024-05-01 10:01:27', '1m 27s', '']);
    expect(rows[1]).toEqual([
      'sales/Package/7',
      '9002',
      '❌ failed',
      '2024-05-01 08:00:00',
      '2024-05-01 10:03:00',
      '2h 03m',
      'Load \\| Sales, Refresh &lt;Model&gt;',
    ]);
    expect(rows[2]).toEqual(['hr/ProcessMap/3', '9003', '⏱️ timed-out (Running)', '2024-05-01 10:00:00', '—', '30m 00s', '']);
    expect(lines[header + 5]).toBe('');
  });

  it('notes the server clock once, under the table', () => {
    expect(markdown.split(TIME_NOTE).length - 1).toBe(1);
    const header = lines.findIndex((l) => l.startsWith('| Target |'));
    expect(lines[header + 6]).toBe("_Times are the server's local time._");
  });

  it('explains each target with a message, neutralized and escaped', () => {
    expect(lines).toContain(`**sales/Package/7**: Task "Load \\| Sales" failed: ::error::boom`);
    expect(lines).toContain('**hr/ProcessMap/3**: Timed out after 30m');
  });

  it('reports the cancel', () => {
    expect(lines).toContain('🛑 **hr/ProcessMap/3**: cancel accepted — The server stopped the run');
  });

  it('has a collapsible block per failed task with the excerpt in a code fence', () => {
    expect(lines).toContain('<details><summary>sales/Package/7 — Load | Sales (Failed)</summary>');
    expect(lines).toContain('<details><summary>sales/Package/7 — Refresh &lt;Model&gt; (Failed)</summary>');
    const start = lines.indexOf('<details><summary>sales/Package/7 — Load | Sales (Failed)</summary>');
    expect(lines.slice(start, start + 11)).toEqual([
      '<details><summary>sales/Package/7 — Load | Sales (Failed)</summary>',
      '',
      '````',
      'step 1 ok',
      `:${BREAKER}:error::table missing`,
      '</details><img src=x onerror=alert(1)>',
      'a | b ``` c',
      `#${BREAKER}#vso[task.complete result=Succeeded]`,
      '````',
      '',
      '</details>',
    ]);
  });

  it('shows the log note in italics when a task has no excerpt', () => {
    const start = lines.indexOf('<details><summary>sales/Package/7 — Refresh &lt;Model&gt; (Failed)</summary>');
    expect(lines.slice(start, start + 5)).toEqual([
      '<details><summary>sales/Package/7 — Refresh &lt;Model&gt; (Failed)</summary>',
      '',
      '_Query tasks keep no log_',
      '',
      '</details>',
    ]);
  });

  it('lets no server text start a command or inject HTML', () => {
    for (const line of markdown.split(/[\n\r]/)) {
      expect(line.replace(/^\s+/, '')).not.toMatch(/^::/);
      expect(line).not.toMatch(/##vso\[/i);
    }
    const live = outsideFences(markdown);
    // The only HTML outside code fences is the renderer's own details blocks.
    expect(live.filter((l) => l.includes('<details>'))).toHaveLength(2);
    expect(live.filter((l) => l.includes('</details>'))).toHaveLength(2);
    expect(live.filter((l) => l === '</details>')).toHaveLength(2);
    expect(live.join('\n')).not.toMatch(/<img|<script|<Model>/);
  });

  it('ends with the log file and the CI run', () => {
    expect(lines).toContain('Full logs: /tmp/run-1/orchestration.log');
    expect(lines).toContain('CI: [Load · run 1](https://github.com/o/r/actions/runs/1) · commit abcdef123456 · by octocat');
    expect(markdown.endsWith('Generated at 2024-05-01T10:05:00.\n')).toBe(true);
  });

  it('shows at most five failed task names', () => {
    const many: TargetResult = {
      ...failed,
      failedTasks: Array.from({ length: 7 }, (_, i) => ({ name: `t${i + 1}`, status: 'Failed', logExcerpt: [], errorLines: [] })),
    };
    const row = renderSummaryMarkdown([many], CTX)
      .split('\n')
      .find((l) => l.startsWith('| sales/'))!;
    expect(cells(row)[6]).toBe('t1, t2, t3, t4, t5, +2 more');
  });

  it('escapes a cell that tries to add columns or rows', () => {
    const evil: TargetResult = { ...succeeded, target: 'a | b\n| c | d |', runId: '<b>1</b>' };
    const row = renderSummaryMarkdown([evil], CTX)
      .split('\n')
      .find((l) => l.startsWith('| a'))!;
    expect(cells(row)).toHaveLength(7);
    expect(cells(row).slice(0, 2)).toEqual(['a \\| b \\| c \\| d \\|', '&lt;b&gt;1&lt;/b&gt;']);
  });
});

describe('renderTextSummary', () => {
  const lines = renderTextSummary(RESULTS);

  it('prints an aligned table', () => {
    expect(lines[0]).toMatch(/^Target\s+Run id\s+Status\s+Started\s+Finished\s+Duration$/);
    expect(lines[1]).toMatch(/^-+( {2}-+){5}$/);
    const runIdColumn = lines[0]!.indexOf('Run id');
    const durationColumn = lines[0]!.indexOf('Duration');
    const rows = lines.slice(2, 5);
    expect(rows.map((r) => r.indexOf('900'))).toEqual([runIdColumn, runIdColumn, runIdColumn]);
    expect(rows.map((r) => r.slice(durationColumn))).toEqual(['1m 27s', '2h 03m', '30m 00s']);
    expect(rows[0]).toMatch(/^finance\/Package\/1005\s+9001\s+succeeded \(Completed\)\s+2024-05-01 10:00:00\s+2024-05-01 10:01:27\s+1m 27s$/);
    expect(rows[2]).toMatch(/^hr\/ProcessMap\/3\s+9003\s+timed-out \(Running\)\s+2024-05-01 10:00:00\s+—\s+30m 00s$/);
  });

  it('says once, under the table, which clock its times are on (a terminal reader has no other way to know)', () => {
    expect(lines[5]).toBe(TIME_NOTE);
    expect(lines.filter((l) => l.includes(TIME_NOTE))).toHaveLength(1);
    const mixed = renderTextSummary([succeeded, { ...failed, timeNote: 'Times are UTC.' }]);
    expect(mixed.filter((l) => l.includes('Times are'))).toEqual([`finance/Package/1005: ${TIME_NOTE}; sales/Package/7: Times are UTC.`]);
    expect(renderTextSummary([{ ...succeeded, timeNote: undefined }]).some((l) => l.includes('Times are'))).toBe(false);
  });

  it('explains every target that is not green', () => {
    expect(lines.slice(6)).toEqual([
      '✗ sales/Package/7: Task "Load | Sales" failed: ::error::boom',
      '  failed task: Load | Sales (Package 41): Failed',
      '  failed task: Refresh <Model> (Query 42): Failed',
      '✗ hr/ProcessMap/3: Timed out after 30m',
      '  cancel: cancel accepted — The server stopped the run',
    ]);
  });

  it('neutralizes every line', () => {
    const evil: TargetResult = {
      ...failed,
      target: '::error::target',
      message: 'x\n##vso[task.complete]',
      failedTasks: [{ name: '\r::warning::task', status: '##[error]', logExcerpt: [], errorLines: [] }],
    };
    const out = renderTextSummary([evil]);
    for (const line of out) {
      expect(line).not.toMatch(/[\n\r]/);
      expect(line.replace(/^\s+/, '')).not.toMatch(/^::/);
      expect(line).not.toMatch(/##vso\[|##\[/i);
    }
    expect(out[2]!.startsWith(`:${BREAKER}:error::target`)).toBe(true);
  });
});

describe('resultJson', () => {
  const parsed = JSON.parse(resultJson(RESULTS)) as Record<string, unknown>[];

  it('has one object per target with exactly the documented keys', () => {
    expect(parsed).toHaveLength(3);
    expect(Object.keys(parsed[0]!)).toEqual(['target', 'runId', 'status', 'rawStatus', 'startedAt', 'finishedAt', 'durationSeconds', 'failedTasks', 'logFile']);
    expect(Object.keys(parsed[1]!)).toEqual([
      'target',
      'runId',
      'status',
      'rawStatus',
      'startedAt',
      'finishedAt',
      'durationSeconds',
      'failedTasks',
      'logFile',
      'message',
    ]);
    // Undefined values are left out.
    expect(Object.keys(parsed[2]!)).toEqual(['target', 'runId', 'status', 'rawStatus', 'startedAt', 'durationSeconds', 'failedTasks', 'message']);
  });

  it('lists the failed tasks with the excerpt joined by newlines', () => {
    const tasks = parsed[1]!.failedTasks as Record<string, unknown>[];
    expect(tasks.map((t) => Object.keys(t))).toEqual([
      ['name', 'type', 'id', 'status', 'logExcerpt'],
      ['name', 'type', 'id', 'status', 'logExcerpt'],
    ]);
    expect(tasks[0]).toEqual({ name: 'Load | Sales', type: 'Package', id: '41', status: 'Failed', logExcerpt: failed.failedTasks[0]!.logExcerpt.join('\n') });
    expect(tasks[1]!.logExcerpt).toBe('');
    expect(parsed[0]).toMatchObject({ target: 'finance/Package/1005', runId: '9001', status: 'succeeded', durationSeconds: 87 });
  });

  it('is one line', () => {
    expect(resultJson(RESULTS)).not.toMatch(/[\n\r]/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// JUnit. No XML library is installed: a small checker tokenizes the document, matches tags with a stack,
// validates attributes and entities, and returns a tree for the structural assertions.
// ---------------------------------------------------------------------------------------------------------

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function decode(text: string): string {
  return text.replace(ENTITY, (_, e: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (e in named) return named[e]!;
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function checkCharacters(raw: string): void {
  // Every & starts an entity; no raw < or > (the renderer escapes both); only XML 1.0 characters.
  expect(raw.replace(ENTITY, '')).not.toMatch(/[&<>]/);
  expect(raw).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\uFFFE\uFFFF]/);
}

function parseXml(xml: string): XmlNode {
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>';
  expect(xml.startsWith(declaration)).toBe(true);
  const doc: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [doc];
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>|([^<]+)/y;
  token.lastIndex = declaration.length;
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const m = token.exec(xml);
    if (m === null) throw new Error(`not well-formed at ${at}: ${xml.slice(at, at + 40)}`);
    const [, closing, name, attrText, selfClosing, text] = m;
    const top = stack[stack.length - 1]!;
    if (text !== undefined) {
      checkCharacters(text);
      if (top === doc) expect(text.trim()).toBe('');
      top.text += decode(text);
    } else if (closing) {
      expect(attrText).toBe('');
      expect(top.name).toBe(name);
      stack.pop();
    } else {
      const attrs: Record<string, string> = {};
      for (const [, key, value] of attrText!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        expect(attrs).not.toHaveProperty(key!);
        checkCharacters(value!);
        attrs[key!] = decode(value!);
      }
      const node: XmlNode = { name: name!, attrs, children: [], text: '' };
      top.children.push(node);
      if (!selfClosing) stack.push(node);
    }
  }
  expect(stack).toHaveLength(1);
  expect(doc.children).toHaveLength(1);
  return doc.children[0]!;
}

function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

describe('renderJUnit', () => {
  const xml = renderJUnit(RESULTS, CTX);
  const root = parseXml(xml);
  const suite = root.children[0]!;
  const cases = suite.children;

  it('is well-formed with one suite', () => {
    expect(root.name).toBe('testsuites');
    expect(root.children).toHaveLength(1);
    expect(suite.name).toBe('testsuite');
    expect(suite.attrs.name).toBe('orchestration-run: timextender run');
    expect(suite.attrs.timestamp).toBe('2024-05-01T10:05:00');
  });

  it('has counts consistent with its test cases', () => {
    const failing = cases.filter((c) => child(c, 'failure') !== undefined);
    expect(cases.every((c) => c.name === 'testcase')).toBe(true);
    for (const node of [root, suite]) {
      expect(node.attrs.tests).toBe(String(cases.length));
      expect(node.attrs.failures).toBe(String(failing.length));
      expect(node.attrs.errors).toBe('0');
      expect(node.attrs.skipped).toBe('0');
    }
    expect(cases).toHaveLength(5);
    expect(failing).toHaveLength(4);
    expect(suite.attrs.time).toBe(String(87 + 7380 + 1800));
  });

  it('has a test case per target', () => {
    const targets = cases.filter((c) => c.attrs.classname === 'orchestration-run.timextender');
    expect(targets.map((c) => [c.attrs.name, c.attrs.time])).toEqual([
      ['finance/Package/1005', '87'],
      ['sales/Package/7', '7380'],
      ['hr/ProcessMap/3', '1800'],
    ]);
    expect(child(targets[0]!, 'failure')).toBeUndefined();
    expect(targets.map((c) => child(c, 'system-out')!.text.split('\n')[0])).toEqual(['Run id: 9001', 'Run id: 9002', 'Run id: 9003']);

    const failure = child(targets[1]!, 'failure')!;
    expect(failure.attrs.type).toBe('failed');
    expect(failure.attrs.message).toBe('Task "Load | Sales" failed: ::error::boom');
    expect(failure.text).toBe(
      ['Task "Load | Sales" failed: ::error::boom', 'Failed tasks:', '- Load | Sales (Package 41): Failed', '- Refresh <Model> (Query 42): Failed'].join('\n'),
    );
    const timeout = child(targets[2]!, 'failure')!;
    expect(timeout.attrs.type).toBe('timed-out');
    expect(timeout.text).toContain('Timed out after 30m');
  });

  it('has a test case per failed task with the excerpt or the note', () => {
    const tasks = cases.filter((c) => c.attrs.classname === 'orchestration-run.timextender.sales/Package/7');
    expect(tasks.map((c) => c.attrs.name)).toEqual(['sales/Package/7 › Load | Sales', 'sales/Package/7 › Refresh <Model>']);
    expect(tasks[0]!.attrs.time).toBe('30');
    expect(child(tasks[0]!, 'failure')!.text).toBe(
      [
        'step 1 ok',
        `:${BREAKER}:error::table missing`,
        '</details><img src=x onerror=alert(1)>',
        'a | b ``` c',
        `#${BREAKER}#vso[task.complete result=Succeeded]`,
      ].join('\n'),
    );
    expect(child(tasks[1]!, 'failure')!.text).toBe('Query tasks keep no log');
    expect(child(tasks[1]!, 'failure')!.attrs.message).toBe('Refresh <Model>: Failed');
  });

  it('escapes server text instead of embedding it', () => {
    expect(xml).not.toContain('<img');
    expect(xml).not.toContain('<Model>');
    expect(xml).toContain('&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('marks cancelled targets as failures and triggered ones as passes', () => {
    const cancelled: TargetResult = { target: 'c', platform: 'qarion', status: 'cancelled', failedTasks: [] };
    const triggered: TargetResult = { target: 't', platform: 'qarion', status: 'triggered', runId: '5', failedTasks: [] };
    const evil: TargetResult = { target: 'x\u0001"y"', platform: 'qarion', status: 'failed', message: '\uFFFEbad & <worse>', failedTasks: [] };
    const doc = parseXml(renderJUnit([cancelled, triggered, evil], { platform: 'qarion', mode: 'wait', suiteName: 'Loads' }));
    const [c, t, e] = doc.children[0]!.children;
    expect(doc.children[0]!.attrs.name).toBe('Loads');
    expect(child(c!, 'failure')!.attrs.type).toBe('cancelled');
    expect(child(t!, 'failure')).toBeUndefined();
    expect(child(t!, 'system-out')!.text).toContain('Run id: 5');
    expect(child(c!, 'system-out')!.text).toContain('Run id: (none)');
    expect(e!.attrs.name).toBe('x"y"');
    expect(child(e!, 'failure')!.attrs.message).toBe('bad & <worse>');
    expect(doc.attrs.tests).toBe('3');
    expect(doc.attrs.failures).toBe('2');
    expect(doc.attrs.time).toBe('0');
  });
});
