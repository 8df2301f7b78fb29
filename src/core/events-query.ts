// Query shape for the event log (timeline by MAC or node).
export type { EventRecord } from './events.js';
export type { EventQuery } from './ports.js';
