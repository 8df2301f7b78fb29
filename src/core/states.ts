// The introspection state machine as a declarative table (ironic-inspector's 8 states and 9
// events), with our fixes: `process` from `starting` is allowed (a fast ramdisk must not kill
// the node) and `reapply` clears `finished` (see reference §13).

export const STATES = [
  'starting',
  'waiting',
  'processing',
  'finished',
  'error',
  'reapplying',
  'enrolling',
  'aborting',
] as const;
export type IntrospectionState = (typeof STATES)[number];

export const EVENTS = [
  'start',
  'wait',
  'process',
  'finish',
  'error',
  'timeout',
  'abort',
  'abort_end',
  'reapply',
] as const;
export type IntrospectionEvent = (typeof EVENTS)[number];

export const TRANSITIONS: Readonly<
  Record<IntrospectionState, Partial<Record<IntrospectionEvent, IntrospectionState>>>
> = {
  starting: { wait: 'waiting', process: 'processing', error: 'error', timeout: 'error', abort: 'aborting' },
  waiting: { process: 'processing', start: 'starting', abort: 'aborting', timeout: 'error', error: 'error' },
  processing: { finish: 'finished', error: 'error', timeout: 'error' },
  finished: { start: 'starting', reapply: 'reapplying', finish: 'finished' },
  error: { start: 'starting', reapply: 'reapplying', abort: 'error', error: 'error' },
  reapplying: { finish: 'finished', reapply: 'reapplying', error: 'error', timeout: 'error' },
  enrolling: { process: 'processing', error: 'error', timeout: 'error' },
  aborting: { abort_end: 'error', timeout: 'error' },
};

/** States in which an introspection is in progress (lookup attributes exist, timeout applies). */
export const ACTIVE_STATES: readonly IntrospectionState[] = [
  'starting',
  'waiting',
  'processing',
  'reapplying',
  'enrolling',
  'aborting',
];

export function isState(value: unknown): value is IntrospectionState {
  return typeof value === 'string' && (STATES as readonly string[]).includes(value);
}

/** Next state, or null when the event is not allowed in this state. */
export function nextState(state: IntrospectionState, event: IntrospectionEvent): IntrospectionState | null {
  return TRANSITIONS[state][event] ?? null;
}
