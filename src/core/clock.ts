// Time source for the domain: injected so state machines and timeouts are testable.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
