/**
 * Typed mirrors of the JSON the server extension answers with
 * (jupyter_mlpipe/serverext/views.py, operations.py and openapi.yaml).
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

export type OperationAction =
  | 'deploy-best'
  | 'deploy-experiment'
  | 'package'
  | 'build'
  | 'deploy';

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

export interface Operation {
  id: string;
  action: OperationAction;
  request: Record<string, unknown>;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  created: number;
  updated: number;
  steps: OperationStep[];
  result: Record<string, unknown>;
  error: ErrorBody | null;
}

export interface OperationsResponse {
  /** Newest first. */
  operations: Operation[];
}

/** The body of POST operations. */
export interface OperationRequest {
  action: OperationAction;
  name: string;
  group?: number;
  experiment?: number;
  metric?: string;
  mode?: 'min' | 'max';
  source?: string;
  model_class?: string;
  image?: string;
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
