/**
 * The panel's state and the only code that fetches: polls (with backoff, paused when the
 * panel or the browser tab is hidden) and user actions. Views read `state` and call methods.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { api as defaultApi, API, APIError } from './api';
import {
  DEFAULT_SORT,
  dropExperiments,
  SeriesMap,
  ShownPrediction,
  SortState,
  isActive,
  mergePoints,
  metricNames,
  parsePayload,
  toggleSort
} from './model';
import {
  Deployment,
  GroupDetail,
  GroupSummary,
  Operation,
  OperationRequest,
  SweepRequest
} from './types';

export interface PanelState {
  /** The project shown; '' is the server's default project. */
  project: string;
  groups: GroupSummary[];
  deployments: Deployment[];
  listError: string | null;
  openGroup: number | null;
  detail: GroupDetail | null;
  groupError: string | null;
  series: SeriesMap;
  cursor: string;
  chartMetric: string | null;
  sort: SortState;
  logExperiment: number | null;
  logLines: string[];
  operation: Operation | null;
  actionError: string | null;
  sweepBusy: boolean;
  prediction: ShownPrediction | null;
  predictError: string | null;
  /** True from a project switch until that project's first answer: the list is not stale. */
  listLoading: boolean;
}

const INITIAL: PanelState = {
  project: '',
  groups: [],
  deployments: [],
  listError: null,
  openGroup: null,
  detail: null,
  groupError: null,
  series: {},
  cursor: '',
  chartMetric: null,
  sort: DEFAULT_SORT,
  logExperiment: null,
  logLines: [],
  operation: null,
  actionError: null,
  sweepBusy: false,
  prediction: null,
  predictError: null,
  listLoading: true
};

function isLive(op: Operation): boolean {
  return op.status === 'queued' || op.status === 'running';
}

function operationGroup(op: Operation): number | null {
  const group = (op.request as { group?: unknown }).group;
  return typeof group === 'number' ? group : null;
}

function message(error: unknown): string {
  return error instanceof APIError || error instanceof Error ? error.message : String(error);
}

export class PanelController {
  constructor(private readonly api: API = defaultApi) {
    this._listPoll = this._poll('mlpipe:list', 3000, 30000, () => this._refreshList());
    void this.resumeOperation();
  }

  get state(): PanelState {
    return this._state;
  }

  get changed(): ISignal<this, PanelState> {
    return this._changed;
  }

  /** The widget reports whether it is shown; hidden panels stop polling. */
  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      void this._listPoll.refresh();
      void this._groupPoll?.refresh();
    }
  }

  dispose(): void {
    for (const poll of [this._listPoll, this._groupPoll, this._logPoll, this._opPoll]) {
      poll?.dispose();
    }
    Signal.clearData(this);
  }

  // -- navigation --------------------------------------------------------------------------
  /** Show another project (its sweeps; deployments are per user and stay). */
  setProject(project: string): void {
    const next = project.trim();
    if (next === this._state.project) {
      return;
    }
    this.closeGroup();
    this._opPoll?.dispose();
    this._opPoll = null;
    this._set({
      project: next, groups: [], listError: null, operation: null, listLoading: true,
      actionError: null
    });
    void this._listPoll.refresh();
  }

  openGroup(group: number): void {
    this._groupPoll?.dispose();
    this._stopLogs();
    // Nothing of the previous sweep stays: its log, its deploy progress, its chart.
    const following = this._state.operation;
    const mine = following !== null && isLive(following) && operationGroup(following) === group;
    if (!mine) {
      this._opPoll?.dispose();
      this._opPoll = null;
    }
    this._set({
      openGroup: group,
      detail: null,
      groupError: null,
      logExperiment: null,
      logLines: [],
      operation: mine ? following : null,
      actionError: null,
      series: {},
      cursor: '',
      chartMetric: null,
      sort: DEFAULT_SORT
    });
    this._groupPoll = this._poll('mlpipe:group', 1500, 15000, () => this._refreshGroup(group));
  }

  closeGroup(): void {
    this._groupPoll?.dispose();
    this._groupPoll = null;
    this._stopLogs();
    this._set({ openGroup: null, detail: null, series: {}, cursor: '' });
    void this._listPoll.refresh();
  }

  sortBy(key: string): void {
    this._set({ sort: toggleSort(this._state.sort, key) });
  }

  setChartMetric(metric: string): void {
    this._set({ chartMetric: metric });
  }

  showLogs(experiment: number | null): void {
    this._stopLogs();
    this._set({ logExperiment: experiment, logLines: [] });
    if (experiment !== null) {
      this._logPoll = this._poll('mlpipe:logs', 2000, 20000, async () => {
        const reply = await this.api.logs(experiment, 200, this._project);
        if (this._state.logExperiment === experiment) {
          this._set({ logLines: reply.lines });
        }
      });
    }
  }

  // -- actions -------------------------------------------------------------------------------
  async startSweep(request: SweepRequest): Promise<void> {
    this._set({ sweepBusy: true, actionError: null });
    try {
      const reply = await this.api.startSweep({ ...request, project: this._project });
      this._set({ sweepBusy: false });
      void this._listPoll.refresh();
      this.openGroup(reply.group.id);
    } catch (error) {
      this._set({ sweepBusy: false, actionError: message(error) });
    }
  }

  async stopGroup(group: number): Promise<void> {
    await this._act(() => this.api.stopGroup(group, this._project));
    void this._groupPoll?.refresh();
  }

  async stopExperiment(experiment: number): Promise<void> {
    await this._act(() => this.api.stopExperiment(experiment, this._project));
    void this._groupPoll?.refresh();
  }

  /** Start package → build → deploy in the background and follow its progress. */
  async startOperation(request: OperationRequest): Promise<void> {
    const op = await this._act(() =>
      this.api.startOperation({ ...request, project: this._project })
    );
    if (op) {
      this._follow(op);
    }
  }

  /**
   * Pick up the newest unfinished operation (the panel was reloaded while it ran): its
   * record on the server is the truth, the panel only shows it.
   */
  async resumeOperation(): Promise<void> {
    try {
      const { operations } = await this.api.operations();
      const live = operations.find(op => op.status === 'queued' || op.status === 'running');
      if (live && this._state.operation === null) {
        this._follow(live);
      }
    } catch {
      // not fatal: the list poll reports an unreachable server
    }
  }

  private _follow(op: Operation): void {
    this._set({ operation: op });
    this._opPoll?.dispose();
    this._opPoll = this._poll('mlpipe:operation', 1000, 10000, async () => {
      const current = await this.api.operation(op.id);
      this._set({ operation: current });
      if (current.status === 'succeeded' || current.status === 'failed') {
        this._opPoll?.dispose();
        this._opPoll = null;
        void this._listPoll.refresh();
      }
    });
  }

  async predict(name: string, text: string): Promise<void> {
    this._set({ predictError: null, prediction: null });
    try {
      const reply = await this.api.predict(name, parsePayload(text));
      // Show the model's answer (the Seldon response's data), not the transport envelope.
      const answer = reply.prediction;
      const data = (answer.response as { data?: unknown } | undefined)?.data ?? answer.response;
      const top = answer.top
        .map(pair => [String(pair[0]), Number(pair[1])] as [string, number])
        .slice(0, 3);
      this._set({
        prediction: { name, label: answer.label, top, raw: JSON.stringify(data, null, 1) }
      });
    } catch (error) {
      this._set({ predictError: message(error) });
    }
  }

  async undeploy(name: string): Promise<void> {
    await this._act(() => this.api.undeploy(name));
    void this._listPoll.refresh();
  }

  refresh(): void {
    void this._listPoll.refresh();
    void this._groupPoll?.refresh();
  }

  // -- polling -------------------------------------------------------------------------------
  private _poll(
    name: string,
    interval: number,
    max: number,
    factory: () => Promise<void>
  ): Poll {
    const poll = new Poll({
      factory,
      frequency: { interval, backoff: true, max },
      name,
      standby: () => !this._visible || 'when-hidden'
    });
    return poll;
  }

  private async _refreshList(): Promise<void> {
    try {
      // While one sweep is open the list is not shown: only deployments need refreshing.
      const listing = this._state.openGroup === null;
      const project = this._project;
      const [groups, deployments] = await Promise.all([
        listing ? this.api.groups(this._project) : null,
        this.api.deployments()
      ]);
      if (project !== this._project) {
        return; // the user switched project while the answer travelled
      }
      this._set({
        groups: groups ? groups.groups : this._state.groups,
        deployments: deployments.deployments,
        listError: null,
        listLoading: groups ? false : this._state.listLoading
      });
    } catch (error) {
      this._set({ listError: message(error) });
      throw error; // a rejected tick makes the poll back off
    }
  }

  private async _refreshGroup(group: number): Promise<void> {
    try {
      const [detail, batch] = await Promise.all([
        this.api.group(group, this._project),
        this.api.metrics(group, this._state.cursor, this._project)
      ]);
      if (this._state.openGroup !== group) {
        return; // the user moved on while the answer travelled
      }
      const series = mergePoints(
        dropExperiments(this._state.series, batch.reset ?? []),
        batch.points
      );
      const names = metricNames(series);
      const chartMetric =
        this._state.chartMetric && names.includes(this._state.chartMetric)
          ? this._state.chartMetric
          : (detail.metrics[0] ?? names[0] ?? null);
      this._set({ detail, series, cursor: batch.cursor, chartMetric, groupError: null });
      if (this._groupPoll) {
        // A full page of points: fetch the next one at once. Finished groups change rarely:
        // slow down instead of hammering the disk.
        const interval = batch.more ? 50 : isActive(detail.counts, detail.group.status) ? 1500 : 10000;
        if (this._groupPoll.frequency.interval !== interval) {
          this._groupPoll.frequency = { interval, backoff: true, max: interval * 10 };
        }
      }
    } catch (error) {
      this._set({ groupError: message(error) });
      throw error;
    }
  }

  /** The project for requests: undefined lets the server use its default. */
  private get _project(): string | undefined {
    return this._state.project || undefined;
  }

  private _stopLogs(): void {
    this._logPoll?.dispose();
    this._logPoll = null;
  }

  private async _act<T>(action: () => Promise<T>): Promise<T | null> {
    this._set({ actionError: null });
    try {
      return await action();
    } catch (error) {
      this._set({ actionError: message(error) });
      return null;
    }
  }

  private _set(changes: Partial<PanelState>): void {
    this._state = { ...this._state, ...changes };
    this._changed.emit(this._state);
  }

  private _state: PanelState = INITIAL;
  private _changed = new Signal<this, PanelState>(this);
  private _visible = false;
  private _listPoll: Poll;
  private _groupPoll: Poll | null = null;
  private _logPoll: Poll | null = null;
  private _opPoll: Poll | null = null;
}
