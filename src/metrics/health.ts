// GET /healthz's verdict: a list of cheap probes, each naming what is wrong or null. Bounded in
// time so a stuck probe makes the answer "unhealthy", never a hanging health check.

export interface HealthProbe {
  /** Short name shown with the reason, e.g. `state_store`, `pxe_filter`. */
  readonly name: string;
  /** null when fine, else the reason (one line an operator acts on). Must be cheap. */
  check(): Promise<string | null> | string | null;
}

export interface HealthReport {
  /** `starting`: the API answers but start-up (network boot) has not finished: not ready yet. */
  status: 'ok' | 'unhealthy' | 'starting';
  /** `name: reason` for every failing probe; empty when ok. */
  reasons: string[];
}

export async function checkHealth(probes: readonly HealthProbe[], timeoutMs = 2000): Promise<HealthReport> {
  const reasons: string[] = [];
  await Promise.all(
    probes.map(async (probe) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      });
      try {
        const reason = await Promise.race([Promise.resolve().then(() => probe.check()), timeout]);
        if (reason !== null) reasons.push(`${probe.name}: ${reason}`);
      } catch (error) {
        reasons.push(`${probe.name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  reasons.sort();
  return { status: reasons.length === 0 ? 'ok' : 'unhealthy', reasons };
}
