import test from 'ava';
import {
  EVENTS,
  STATES,
  TRANSITIONS,
  nextState,
  type IntrospectionEvent,
  type IntrospectionState,
} from '../../../src/core/states.js';

// The reference table (ironic-inspector §3) plus our documented fixes.
const expected: Record<IntrospectionState, Partial<Record<IntrospectionEvent, IntrospectionState>>> = {
  starting: { wait: 'waiting', error: 'error', timeout: 'error', process: 'processing', abort: 'aborting' },
  waiting: { process: 'processing', start: 'starting', abort: 'aborting', timeout: 'error', error: 'error' },
  processing: { finish: 'finished', error: 'error', timeout: 'error' },
  finished: { start: 'starting', reapply: 'reapplying', finish: 'finished' },
  error: { start: 'starting', reapply: 'reapplying', abort: 'error', error: 'error' },
  reapplying: { finish: 'finished', reapply: 'reapplying', error: 'error', timeout: 'error' },
  enrolling: { process: 'processing', error: 'error', timeout: 'error' },
  aborting: { abort_end: 'error', timeout: 'error' },
};

test('the table has the 8 states and 9 events of the reference', (t) => {
  t.is(STATES.length, 8);
  t.is(EVENTS.length, 9);
  t.deepEqual(Object.keys(TRANSITIONS).sort(), [...STATES].sort());
});

for (const state of STATES) {
  for (const event of EVENTS) {
    const want = expected[state][event] ?? null;
    test(`${state} × ${event} → ${want ?? 'invalid'}`, (t) => {
      t.is(nextState(state, event), want);
    });
  }
}

test('a ramdisk post while starting is accepted (reference defect fixed)', (t) => {
  t.is(nextState('starting', 'process'), 'processing');
});
