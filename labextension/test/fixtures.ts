/** Complete API records for tests, typed by the generated OpenAPI types (no `any`). */
import { ExperimentRow, GroupDetail, GroupSummary, MetricSummary } from '../src/types';

export function metric(value: number | null): MetricSummary {
  return { last: value, min: value, max: value, step: null, count: value === null ? 0 : 1 };
}

export function experimentRow(fields: Partial<ExperimentRow> & Pick<ExperimentRow, 'id'>): ExperimentRow {
  return {
    group: 7,
    project: 'default',
    status: 'queued',
    attempt: 1,
    created: null,
    started: null,
    finished: null,
    duration: null,
    exit_code: null,
    message: '',
    reason: '',
    params: {},
    metrics: {},
    path: `/outputs/default/groups/7/${fields.id}`,
    damaged: '',
    ...fields
  };
}

export function groupInfo(fields: Partial<GroupSummary> & Pick<GroupSummary, 'id'>): GroupSummary {
  return {
    project: 'default',
    name: 'g',
    status: 'running',
    algorithm: 'grid',
    backend: 'local',
    concurrency: 1,
    planned: 1,
    created: 0,
    finished: null,
    message: '',
    counts: {},
    objective: null,
    best: null,
    best_value: null,
    metadata: {},
    ...fields
  };
}

export function groupDetail(group: GroupSummary, experiments: ExperimentRow[]): GroupDetail {
  const params = [...new Set(experiments.flatMap(e => Object.keys(e.params)))];
  const metrics = [...new Set(experiments.flatMap(e => Object.keys(e.metrics)))];
  return { group, experiments, params, varying: [], metrics, counts: group.counts };
}
