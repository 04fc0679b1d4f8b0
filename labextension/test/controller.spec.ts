/**
 * The controller against a fake API: polls feed the state, incremental metric batches merge,
 * operations are followed to the end, errors land in the state instead of throwing.
 */
jest.mock('../src/api', () => {
  class APIError extends Error {
    constructor(
      readonly status: number,
      readonly type: string,
      message: string
    ) {
      super(message);
    }
  }
  return { api: {}, APIError };
});

import { APIError } from '../src/api';
import { PanelController, PanelState } from '../src/controller';
import { GroupDetail, GroupSummary, MetricsResponse, Operation } from '../src/types';
import { experimentRow, groupDetail, groupInfo } from './fixtures';

function detail(status: GroupSummary['status']): GroupDetail {
  const group = groupInfo({ id: 7, status, counts: { running: 1 } });
  return groupDetail(group, [experimentRow({ id: 1, status: 'running', params: { lr: 0.1 } })]);
}

function fakeApi(overrides: Record<string, unknown> = {}): any {
  const batches: MetricsResponse[] = [
    { group: 7, cursor: 'a', points: { '1': { loss: [[0, 1, 0.9]] } }, reset: [], more: false },
    { group: 7, cursor: 'b', points: { '1': { loss: [[1, 2, 0.5]] } }, reset: [], more: false }
  ];
  const cursors: string[] = [];
  return {
    cursors,
    operations: jest.fn().mockResolvedValue({ operations: [] }),
    groups: jest.fn().mockResolvedValue({ groups: [groupInfo({ id: 7, counts: { running: 1 } })] }),
    deployments: jest.fn().mockResolvedValue({ deployments: [] }),
    group: jest.fn().mockResolvedValue(detail('running')),
    metrics: jest.fn((_group: number, after: string) => {
      cursors.push(after);
      const next = batches.shift();
      return Promise.resolve(next ?? { group: 7, cursor: 'b', points: {}, reset: [], more: false });
    }),
    ...overrides
  };
}

async function until(controller: PanelController, test: (s: PanelState) => boolean): Promise<PanelState> {
  for (let i = 0; i < 200; i++) {
    if (test(controller.state)) {
      return controller.state;
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  throw new Error(`state never matched: ${JSON.stringify(controller.state)}`);
}

describe('PanelController', () => {
  let controller: PanelController;

  afterEach(() => controller.dispose());

  it('lists groups and deployments once visible', async () => {
    const api = fakeApi();
    controller = new PanelController(api);
    controller.setVisible(true);
    const state = await until(controller, s => s.groups.length === 1);
    expect(state.groups[0].id).toBe(7);
    expect(state.listError).toBeNull();
  });

  it('asks for the chosen project in every group request', async () => {
    const api = fakeApi();
    controller = new PanelController(api);
    controller.setVisible(true);
    await until(controller, s => s.groups.length === 1);
    expect(api.groups).toHaveBeenLastCalledWith(undefined);
    controller.setProject(' mnist ');
    await until(controller, s => s.project === 'mnist' && s.groups.length === 1);
    expect(api.groups).toHaveBeenLastCalledWith('mnist');
    controller.openGroup(7);
    await until(controller, s => s.cursor === 'a');
    expect(api.group).toHaveBeenLastCalledWith(7, 'mnist');
    expect(api.metrics).toHaveBeenLastCalledWith(7, '', 'mnist');
  });

  it('merges incremental metric batches, passing back the cursor', async () => {
    const api = fakeApi();
    controller = new PanelController(api);
    controller.setVisible(true);
    controller.openGroup(7);
    const first = await until(controller, s => s.cursor === 'a');
    expect(first.detail?.params).toEqual(['lr']);
    expect(first.chartMetric).toBe('loss');
    controller.refresh();
    const second = await until(controller, s => s.cursor === 'b');
    expect(second.series['1'].loss.map(p => p[2])).toEqual([0.9, 0.5]);
    expect(api.cursors.slice(0, 2)).toEqual(['', 'a']);
  });

  it('refreshes only deployments while a sweep is open', async () => {
    const api = fakeApi();
    controller = new PanelController(api);
    controller.setVisible(true);
    await until(controller, s => s.groups.length === 1);
    controller.openGroup(7);
    const listed = api.groups.mock.calls.length;
    const deployed = api.deployments.mock.calls.length;
    controller.refresh();
    await until(controller, () => api.deployments.mock.calls.length > deployed);
    expect(api.groups.mock.calls.length).toBe(listed);
    controller.closeGroup();
    await until(controller, () => api.groups.mock.calls.length > listed);
  });

  it('reports a failing list poll in the state', async () => {
    const api = fakeApi({
      groups: jest.fn().mockRejectedValue(new APIError(500, 'InternalError', 'disk on fire'))
    });
    controller = new PanelController(api);
    controller.setVisible(true);
    const state = await until(controller, s => s.listError !== null);
    expect(state.listError).toBe('disk on fire');
  });

  it('follows an operation until it finishes', async () => {
    const running: Operation = {
      id: 'abcdefabcdef', action: 'deploy-best', request: {}, status: 'running', created: 0,
      updated: 0, result: {}, error: null,
      steps: [{ name: 'deploy', status: 'running', started: 0, finished: null, message: '' }]
    };
    const done: Operation = { ...running, status: 'succeeded',
      steps: [{ ...running.steps[0], status: 'succeeded' }] };
    const api = fakeApi({
      startOperation: jest.fn().mockResolvedValue(running),
      operation: jest.fn().mockResolvedValueOnce(running).mockResolvedValue(done)
    });
    controller = new PanelController(api);
    controller.setVisible(true);
    await controller.startOperation({ action: 'deploy-best', group: 7 });
    const state = await until(controller, s => s.operation?.status === 'succeeded');
    expect(state.operation?.steps[0].status).toBe('succeeded');
  });

  it('resumes following an unfinished operation after a reload', async () => {
    const base: Operation = {
      id: '0123456789ab', action: 'ship', request: {}, status: 'running', created: 0,
      updated: 0, result: {}, error: null, steps: []
    };
    const api = fakeApi({
      operations: jest.fn().mockResolvedValue({
        operations: [{ ...base, id: 'aaaaaaaaaaaa', status: 'failed' }, base]
      }),
      operation: jest.fn().mockResolvedValue({ ...base, status: 'succeeded' })
    });
    controller = new PanelController(api);
    controller.setVisible(true);
    const state = await until(controller, s => s.operation?.status === 'succeeded');
    expect(state.operation?.id).toBe('0123456789ab');
    expect(api.operation).toHaveBeenCalledWith('0123456789ab');
  });

  it('shows the model answer and explains bad payloads without calling the server', async () => {
    const predict = jest.fn().mockResolvedValue({
      name: 'm',
      prediction: {
        label: 't:1',
        top: [['t:1', 0.8], ['t:0', 0.15], ['t:2', 0.05], ['t:3', 0]],
        response: { data: { ndarray: [[0.15, 0.8, 0.05, 0]] } }
      }
    });
    controller = new PanelController(fakeApi({ predict }));
    await controller.predict('m', '[[1, 2]]');
    expect(predict).toHaveBeenLastCalledWith('m', { payload: [[1, 2]] });
    const shown = controller.state.prediction;
    expect(shown?.label).toBe('t:1');
    expect(shown?.top).toEqual([['t:1', 0.8], ['t:0', 0.15], ['t:2', 0.05]]); // the top three
    expect(JSON.parse(shown?.raw ?? '')).toEqual({ ndarray: [[0.15, 0.8, 0.05, 0]] });
    await controller.predict('m', 'digit.png');
    expect(predict).toHaveBeenLastCalledWith('m', { file: 'digit.png' });
    await controller.predict('m', '[[1,');
    expect(controller.state.predictError).toMatch(/not valid JSON/);
    expect(predict).toHaveBeenCalledTimes(2);
  });

  it('opening another sweep drops the previous one\'s log and deploy progress', async () => {
    const base = {
      id: '0123456789ab', action: 'deploy-best', status: 'running', created: 1, updated: 1,
      steps: [], request: { group: 1 }, result: {}, error: null
    };
    const api = fakeApi({
      startOperation: jest.fn().mockResolvedValue(base),
      operation: jest.fn().mockResolvedValue(base)
    });
    controller = new PanelController(api);
    controller.openGroup(1);
    controller.showLogs(3);
    await controller.startOperation({ action: 'deploy-best', group: 1 } as never);
    expect(controller.state.operation?.id).toBe('0123456789ab');
    controller.openGroup(2);
    expect(controller.state.logExperiment).toBeNull();
    expect(controller.state.logLines).toEqual([]);
    expect(controller.state.operation).toBeNull();
    expect(controller.state.detail).toBeNull(); // "Loading…" until sweep 2 answers
  });

  it('switching project empties the list and says it is loading until the answer', async () => {
    let answer: (value: unknown) => void = () => undefined;
    const groups = jest.fn().mockReturnValue(new Promise(resolve => { answer = resolve; }));
    controller = new PanelController(fakeApi({ groups }));
    controller.setProject('other');
    expect(controller.state.groups).toEqual([]);
    expect(controller.state.listLoading).toBe(true);
    controller.setVisible(true);
    answer({ groups: [] });
    const state = await until(controller, s => !s.listLoading);
    expect(state.groups).toEqual([]);
  });

  it('keeps an action error for the user instead of throwing', async () => {
    const stopGroup = jest.fn().mockRejectedValue(new APIError(404, 'NotFound', 'no group 9'));
    controller = new PanelController(fakeApi({ stopGroup }));
    await controller.stopGroup(9);
    expect(controller.state.actionError).toBe('no group 9');
  });
});
