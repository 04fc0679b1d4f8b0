/**
 * Typed mirrors of the JSON the server extension answers with
 * (jupyter_mlpipe/serverext/views.py, store/operations.py and openapi.yaml).
 */

/** Experiment status as written in status.json. */
export type ExperimentStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'stopped'
  | 'timed-out';

/** One row of GET groups: a group record plus status counts from the API. */
export interface GroupSummary {
  id: number;
  name?: string | null;
  status?: string | null;
  algorithm?: string | null;
  created?: number | string | null;
  [column: string]: unknown;
}

export interface GroupsResponse {
  groups: GroupSummary[];
}

/** Last, smallest and largest value logged for one metric. */
export interface MetricSummary {
  last: number | null;
  min: number | null;
  max: number | null;
}

/** One experiment of GET groups/<id>. */
export interface ExperimentRow {
  id: number;
  group?: number;
  status: ExperimentStatus | string;
  attempt?: number | null;
  /** ISO timestamps. */
  started?: string | null;
  finished?: string | null;
  duration?: number | null;
  params: Record<string, unknown>;
  metrics: Record<string, MetricSummary>;
}

export interface GroupDetail {
  group: GroupSummary & Record<string, unknown>;
  experiments: ExperimentRow[];
  params: string[];
  metrics: string[];
  counts: Record<string, number>;
}

/** One logged point: [step, time, value]; step is null when the trial gave none. */
export type MetricPoint = [number | null, number | null, number | null];

/** GET groups/<id>/metrics: new points per experiment (string ids) per metric. */
export interface MetricsResponse {
  group: number;
  cursor: string;
  points: Record<string, Record<string, MetricPoint[]>>;
  /** Experiments whose log was rewritten (a retry): drop their earlier points first. */
  reset: number[];
}

export interface LogsResponse {
  experiment: number;
  lines: string[];
}

/** What an operation does: every action runs the server's one ship pipeline. */
export type OperationAction =
  | 'ship'
  | 'deploy-best'
  | 'deploy-experiment'
  | 'package'
  | 'build'
  | 'deploy'
  | 'unknown';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface OperationStep {
  name: 'best' | 'package' | 'build' | 'deploy';
  status: StepStatus;
  started: number | null;
  finished: number | null;
  message: string;
}

export interface ErrorBody {
  type: string;
  message: string;
}

/** A ship operation as recorded in the store; an unreadable record is 'damaged'. */
export interface Operation {
  id: string;
  action: OperationAction;
  request: Record<string, unknown>;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'damaged';
  created: number;
  updated: number;
  steps: OperationStep[];
  /** Per finished step, what it produced: best.experiment, package.name, deploy.url ... */
  result: Record<string, Record<string, unknown> | undefined>;
  error: ErrorBody | null;
  owner?: { pid: number; create_time: number | null } | null;
}

export interface OperationsResponse {
  /** Newest first. */
  operations: Operation[];
}

/**
 * The body of POST operations. Leave out what the server should decide: the name (unique per
 * project, group and experiment), the metric and mode (the group's objective), the image (built
 * only when the deploy backend needs one). Nothing is replaced unless `force` is sent.
 */
export interface OperationRequest {
  action: 'ship' | 'deploy-best' | 'deploy-experiment';
  name?: string;
  group?: number;
  experiment?: number;
  metric?: string;
  mode?: 'min' | 'max';
  source?: string;
  model_class?: string;
  requirements?: string[];
  checkpoints?: string[];
  image?: string;
  backend?: 'local' | 'seldon';
  force?: boolean;
  project?: string;
}

export type Health = 'healthy' | 'unhealthy' | 'starting' | 'stale';

export interface Deployment {
  name: string;
  backend?: string;
  url?: string;
  health?: Health | string;
  detail?: string;
  [column: string]: unknown;
}

export interface DeploymentsResponse {
  deployments: Deployment[];
}

export interface PredictResponse {
  name: string;
  prediction: Record<string, unknown>;
}

export interface SweepRequest {
  spec?: string;
  file?: string;
  name?: string;
  project?: string;
}

export interface SweepResponse {
  group: GroupSummary & Record<string, unknown>;
}
