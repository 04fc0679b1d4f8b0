/**
 * The JSON the server extension answers with, named for the panel's code.
 *
 * Every type here is an alias of one generated from jupyter_mlpipe/serverext/openapi.yaml
 * (src/openapi.d.ts, written by `npm run gen:types`; the test suite fails when it drifts from
 * the document, and the document is checked against the server's real answers).
 */
import type { components, paths } from './openapi';

type Schemas = components['schemas'];
type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : R extends { 202: { content: { 'application/json': infer B } } }
        ? B
        : never
  : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type ExperimentStatus = Schemas['ExperimentStatus'];
export type MetricSummary = Schemas['MetricSummary'];
export type Objective = Schemas['Objective'];
export type ExperimentRow = Schemas['ExperimentRow'];
/** One group of GET groups: its record, status counts, objective and best experiment. */
export type GroupSummary = Schemas['GroupInfo'];
export type GroupDetail = Schemas['GroupDetail'];
export type GroupsResponse = Json<'/groups', 'get'>;
/** One logged point: [step, time, value]; step is null when the trial gave none. */
export type MetricPoint = [number | null, number | null, number | null];
/** GET groups/<id>/metrics, with its points typed as [step, time, value] triples. */
export type MetricsResponse = Omit<Schemas['MetricsBatch'], 'points'> & {
  points: Record<string, Record<string, MetricPoint[]>>;
};
export type LogsResponse = Schemas['Logs'];
export type StopOutcome = Schemas['StopOutcome'];
export type Operation = Schemas['Operation'];
export type OperationAction = Operation['action'];
export type OperationStep = Operation['steps'][number];
export type StepStatus = OperationStep['status'];
export type OperationsResponse = Json<'/operations', 'get'>;
/** The body of POST operations. */
export type OperationRequest = Body<'/operations', 'post'>;
export type ErrorBody = Schemas['Error']['error'];
export type Deployment = Schemas['Deployment'];
export type Health = Deployment['health'];
export type DeploymentsResponse = Json<'/deployments', 'get'>;
export type PredictResponse = Json<'/deployments/{name}/predict', 'post'>;
export type SweepRequest = Body<'/sweeps', 'post'>;
export type SweepResponse = Json<'/sweeps', 'post'>;
