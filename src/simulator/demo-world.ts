/**
 * The demo world of `npm run demo` / `npm run simulator`: the doc's own examples (apis.md §1.6) made live.
 *
 * Workspace `finance` with map 42 "Daily Finance Load" (Ignore Failure) and the tasks of the doc; a second
 * workspace `sales` that the demo key cannot see. Past executions have ids 90000-99999, above the ids that
 * new executions get (apis.md §1.10: ids are not ordered by start time).
 */
import type { Simulator } from './index.js';
import type { HistoryItem } from './tdp-world.js';

export const DEMO_WORKSPACE = 'finance';
export const DEMO_OTHER_WORKSPACE = 'sales';
/** Contributor key of the demo user (format `txk_` + 32 alphanumerics). */
export const DEMO_TDP_KEY = 'txk_DemoFinanceContributor2026Key001';
/** Key of a user with Viewer access only (reads fine, triggers get 403). */
export const DEMO_TDP_VIEWER_KEY = 'txk_DemoFinanceViewerOnly2026Key0001';
export const DEMO_USER = 'demo-engineer';
export const DEMO_VIEWER_USER = 'demo-analyst';
export const DEMO_SALES_USER = 'sales-owner';

export interface DemoWorld {
  tdpKey: string;
  workspace: string;
  viewerKey: string;
  otherWorkspace: string;
  qarionKey: string;
  qarionSpace: string;
  /** A Qarion pipeline whose next run fails in one task (after a retry). */
  qarionPipeline: string;
  planasonixKey: string;
  /** A Planasonix connection whose next sync job succeeds. */
  planasonixConnection: string;
  /** A Planasonix pipeline whose next run fails in one node, with logs. */
  planasonixPipeline: string;
}

export const DEMO_QARION_KEY = 'qrn_DemoFinanceEditorKey2026000000000001';
export const DEMO_PLANASONIX_KEY = 'plnx_live_DemoOrganizationKey2026000001';

/** Qarion: space `finance` with the Airflow pipeline `daily_finance`, whose next run fails in `load_fact_sales`. */
function seedQarion(sim: Simulator): void {
  const q = sim.qarion;
  // The demo polls every couple of seconds; a real key's 60 requests a minute would do too.
  q.options.rateLimit = 600;
  q.addKey(DEMO_USER, DEMO_QARION_KEY);
  q.addSpace('finance', { name: 'Finance', members: { [DEMO_USER]: 'Editor' } });
  const connector = q.addConnector('finance', { name: 'Airflow production' });
  const history = [1, 2, 3, 4, 5].map((i) => ({ startedAgoMs: i * DAY + 6 * HOUR, durationMs: 95 * SECOND + i * 7 * SECOND, status: 'success' }));
  const pipeline = q.addPipeline('finance', { name: 'daily_finance', connectorId: connector, criticality: 'high', history });
  q.setScenario('finance', pipeline, {
    outcome: 'failure',
    durationMs: 40 * SECOND,
    tasks: [
      { taskId: 'extract_orders', state: 'success' },
      { taskId: 'load_fact_sales', state: 'failed', tries: 2, errorText: 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "fact_sales_pkey"' },
      { taskId: 'refresh_dashboards', state: 'upstream_failed' },
    ],
  });
}

/** Planasonix: connection `conn_orders` (a sync that succeeds) and pipeline `pl_daily` (a run that fails). */
function seedPlanasonix(sim: Simulator): void {
  const p = sim.planasonix;
  p.addKey(DEMO_PLANASONIX_KEY);
  p.addConnection('conn_orders', { name: 'Orders DB', tables: ['orders', 'order_lines'] });
  p.setSyncScenario('conn_orders', { outcome: 'success', queuedMs: 2 * SECOND, durationMs: 30 * SECOND, rows: 48_210 });
  p.addPipeline('pl_daily', {
    name: 'Daily finance',
    nodes: [
      { id: 'extract', name: 'Extract orders' },
      { id: 'transform', name: 'Transform orders' },
      { id: 'load', name: 'Load warehouse' },
    ],
  });
  p.setPipelineScenario('pl_daily', {
    outcome: 'failure',
    durationMs: 25 * SECOND,
    failingNode: 'load',
    errorMessage: 'COPY INTO fact_orders failed: column "amount" is of type numeric but expression is of type text',
    logLines: [
      'load: connecting to warehouse analytics-prod',
      'load: COPY INTO fact_orders FROM @stage/orders/2026-11-23',
      'ERROR: column "amount" is of type numeric but expression is of type text',
      'load: rolled back, 0 rows written',
    ],
  });
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Nightly runs at about the same time on the previous days, with durations around `typicalMs`. */
function nightlyHistory(typicalMs: number, statuses: string[], ids: number[], failureLines?: string[]): HistoryItem[] {
  return statuses.map((status, i) => ({
    executionId: ids[i],
    startedAgoMs: (i + 1) * DAY + 7 * HOUR + i * 13 * SECOND,
    durationMs: Math.round(typicalMs * (0.85 + ((i * 37) % 30) / 100)),
    status,
    logLines: status === 'Failed' ? failureLines : undefined,
  }));
}

const CONNECTION_FAILURE_LINES = [
  'Starting package execution: Load Sales Fact',
  'Connecting to source: dw-prod.database.windows.net',
  'ERROR: Connection timeout after 30s. The remote server did not respond.',
  '   at TimeXtender.Execution.SqlSource.Open(ConnectionSettings settings)',
  '   at TimeXtender.Execution.PackageRunner.ExecuteStep(Step step)',
  '   at TimeXtender.Execution.PackageRunner.Run(Package package)',
];

export function seedDemoWorld(sim: Simulator): DemoWorld {
  const tdp = sim.tdp;
  tdp.addUser(DEMO_USER);
  tdp.addUser(DEMO_VIEWER_USER);
  tdp.addUser(DEMO_SALES_USER);
  tdp.addKey(DEMO_USER, DEMO_TDP_KEY);
  tdp.addKey(DEMO_VIEWER_USER, DEMO_TDP_VIEWER_KEY);
  tdp.addKey(DEMO_SALES_USER, 'txk_DemoSalesOwnerKey2026xxxxxxxxx01');

  tdp.addWorkspace(DEMO_WORKSPACE, {
    name: 'Finance',
    description: 'Finance data governance workspace',
    access: { [DEMO_USER]: 'contributor', [DEMO_VIEWER_USER]: 'viewer' },
  });
  tdp.addWorkspace(DEMO_OTHER_WORKSPACE, { name: 'Sales', description: null, access: { [DEMO_SALES_USER]: 'contributor' } });

  const ws = DEMO_WORKSPACE;
  tdp.addTask(ws, {
    taskType: 'Package',
    taskId: 1005,
    taskName: 'Load Customer Dim',
    logLines: [
      'Starting package execution: Load Customer Dim',
      'Connecting to source: dw-prod.database.windows.net',
      'Loaded 48,210 rows into [dim].[Customer]',
      'Package execution finished successfully.',
    ],
    history: nightlyHistory(87 * SECOND, ['Finished', 'Failed', 'Finished', 'Finished', 'Finished'], [98231, 97105, 99412, 96020, 98877], CONNECTION_FAILURE_LINES.map((l) => l.replace('Load Sales Fact', 'Load Customer Dim'))),
  });
  // Writes its log in bursts while it runs: the demo follows it with logs: live.
  tdp.setScenario(ws, 'Package', 1005, { outcome: 'success', queuedMs: 1500, durationMs: 80 * SECOND, logLineCount: 12, logShape: { bursts: 4 } });

  tdp.addTask(ws, {
    taskType: 'Package',
    taskId: 1010,
    taskName: 'Load Sales Fact',
    history: nightlyHistory(4 * MINUTE, ['Finished', 'Finished', 'Failed', 'Finished', 'Finished'], [97733, 99120, 95561, 98004, 96871], CONNECTION_FAILURE_LINES),
  });
  tdp.setScenario(ws, 'Package', 1010, { outcome: 'failure', queuedMs: 1000, durationMs: 32 * SECOND, logLines: CONNECTION_FAILURE_LINES });

  tdp.addTask(ws, {
    taskType: 'Query',
    taskId: 2010,
    taskName: 'Validate Customer Count',
    history: nightlyHistory(3 * SECOND, ['Failed', 'Finished', 'Finished', 'Finished', 'Finished'], [97544, 98410, 96233, 99007, 95190]),
  });
  tdp.setScenario(ws, 'Query', 2010, { outcome: 'failure', durationMs: 3 * SECOND });

  tdp.addTask(ws, {
    taskType: 'EmailSummary',
    taskId: 3001,
    taskName: 'Send Summary Email',
    history: nightlyHistory(5 * SECOND, ['Finished', 'Finished', 'Finished', 'Finished', 'Finished'], [98602, 97031, 99755, 96412, 95877]),
  });
  tdp.setScenario(ws, 'EmailSummary', 3001, { outcome: 'success', durationMs: 5 * SECOND });

  // taskId is unique only within a taskType (apis.md §1.4): two different tasks share the id 42.
  tdp.addTask(ws, {
    taskType: 'Package',
    taskId: 42,
    taskName: 'Load Currency Rates',
    processMapId: null,
    history: nightlyHistory(12 * SECOND, ['Finished', 'Finished', 'Finished', 'Finished', 'Finished'], [96655, 98120, 95402, 99301, 97877]),
  });
  tdp.setScenario(ws, 'Package', 42, { outcome: 'success', durationMs: 12 * SECOND });
  tdp.addTask(ws, {
    taskType: 'Query',
    taskId: 42,
    taskName: 'Check Currency Rate Gaps',
    processMapId: null,
    history: nightlyHistory(2 * SECOND, ['Failed', 'Failed', 'Finished', 'Failed', 'Finished'], [95930, 99588, 97412, 96128, 98345]),
  });
  tdp.setScenario(ws, 'Query', 42, { outcome: 'failure', durationMs: 2 * SECOND });

  tdp.addTask(ws, {
    taskType: 'Package',
    taskId: 1099,
    taskName: 'Load Legacy Budget (retired)',
    disabled: true,
    history: nightlyHistory(40 * SECOND, ['Finished', 'Finished', 'Finished', 'Finished', 'Finished'], [94410, 94522, 94633, 94701, 94815]).map((h) => ({
      ...h,
      startedAgoMs: h.startedAgoMs + 60 * DAY,
    })),
  });

  tdp.addProcessMap(ws, {
    processMapId: 42,
    name: 'Daily Finance Load',
    failurePolicy: 'ignore-failure',
    lastRunStartedAgoMs: DAY + 7 * HOUR,
    members: [
      { taskType: 'Package', taskId: 1005, stage: 1 },
      { taskType: 'Package', taskId: 1010, stage: 2 },
      { taskType: 'Query', taskId: 2010, stage: 2 },
      { taskType: 'EmailSummary', taskId: 3001, stage: 3 },
      { taskType: 'Package', taskId: 1099, stage: 3, disabled: true },
    ],
  });

  tdp.addTask(DEMO_OTHER_WORKSPACE, { taskType: 'Package', taskId: 5001, taskName: 'Load Orders', history: nightlyHistory(60 * SECOND, ['Finished', 'Finished'], [93001, 93007]) });
  tdp.addProcessMap(DEMO_OTHER_WORKSPACE, {
    processMapId: 7,
    name: 'Sales Nightly',
    failurePolicy: 'fail-parent',
    members: [{ taskType: 'Package', taskId: 5001, stage: 1 }],
  });

  seedQarion(sim);
  seedPlanasonix(sim);
  return {
    tdpKey: DEMO_TDP_KEY,
    workspace: DEMO_WORKSPACE,
    viewerKey: DEMO_TDP_VIEWER_KEY,
    otherWorkspace: DEMO_OTHER_WORKSPACE,
    qarionKey: DEMO_QARION_KEY,
    qarionSpace: 'finance',
    qarionPipeline: 'daily_finance',
    planasonixKey: DEMO_PLANASONIX_KEY,
    planasonixConnection: 'conn_orders',
    planasonixPipeline: 'pl_daily',
  };
}
