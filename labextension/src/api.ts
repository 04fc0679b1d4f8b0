/**
 * The one place that talks HTTP: every URL is built by `requestAPI` from the server's base URL,
 * with Jupyter's auth (token header / XSRF cookie) added by ServerConnection.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { PredictInput } from './model';

import {
  DeploymentsResponse,
  ErrorBody,
  GroupDetail,
  GroupsResponse,
  LogsResponse,
  MetricsResponse,
  Operation,
  OperationRequest,
  OperationsResponse,
  PredictResponse,
  SweepRequest,
  SweepResponse
} from './types';

/** The server answered with an error body ({"error": {"type", "message"}}) or not at all. */
export class APIError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string
  ) {
    super(message);
    this.name = 'APIError';
  }
}

export type Query = Record<string, string | number | undefined | null>;

/**
 * Call the extension's REST API.
 *
 * @param path - route under `mlpipe/api/`, its parts already validated (ids are numbers).
 * @param init - fetch options; a `body` object is sent as JSON.
 * @param query - query parameters; undefined and null values are left out.
 */
export async function requestAPI<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
  query: Query = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const search = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url =
    URLExt.join(settings.baseUrl, 'mlpipe/api', path) + (search ? `?${search}` : '');
  const request: RequestInit = { method: init.method ?? 'GET' };
  if (init.body !== undefined) {
    request.body = JSON.stringify(init.body);
    request.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new APIError(0, 'NetworkError', `the Jupyter server did not answer: ${error}`);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const body = (data as { error?: ErrorBody } | null)?.error;
    throw new APIError(
      response.status,
      body?.type ?? response.statusText,
      body?.message ?? `${request.method} ${path} failed with HTTP ${response.status}`
    );
  }
  return data as T;
}

const id = (value: number): string => String(Math.trunc(value));
const part = (value: string): string => encodeURIComponent(value);

/** Every call takes the project to work in; undefined means the server's default project. */
export const api = {
  groups: (project?: string): Promise<GroupsResponse> => requestAPI('groups', {}, { project }),
  group: (group: number, project?: string): Promise<GroupDetail> =>
    requestAPI(`groups/${id(group)}`, {}, { project }),
  metrics: (group: number, after: string, project?: string): Promise<MetricsResponse> =>
    requestAPI(`groups/${id(group)}/metrics`, {}, { after, project }),
  logs: (experiment: number, tail = 200, project?: string): Promise<LogsResponse> =>
    requestAPI(`experiments/${id(experiment)}/logs`, {}, { tail, project }),
  stopGroup: (group: number, project?: string): Promise<unknown> =>
    requestAPI(`groups/${id(group)}/stop`, { method: 'POST' }, { project }),
  stopExperiment: (experiment: number, project?: string): Promise<unknown> =>
    requestAPI(`experiments/${id(experiment)}/stop`, { method: 'POST' }, { project }),
  startSweep: (body: SweepRequest): Promise<SweepResponse> =>
    requestAPI('sweeps', { method: 'POST', body }),
  startOperation: (body: OperationRequest): Promise<Operation> =>
    requestAPI('operations', { method: 'POST', body }),
  operation: (opId: string): Promise<Operation> => requestAPI(`operations/${part(opId)}`),
  operations: (): Promise<OperationsResponse> => requestAPI('operations'),
  deployments: (): Promise<DeploymentsResponse> => requestAPI('deployments'),
  predict: (name: string, input: PredictInput): Promise<PredictResponse> =>
    requestAPI(`deployments/${part(name)}/predict`, { method: 'POST', body: input }),
  undeploy: (name: string): Promise<unknown> =>
    requestAPI(`deployments/${part(name)}`, { method: 'DELETE' })
};

export type API = typeof api;
