// Helpers of the ops integration tests: a full introspection through the real API, /metrics
// parsed by prometheus_client's reference parser, and INI rewriting for SIGHUP tests.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { api, iniText, type IniSections } from '../../helpers/daemon.js';
import { ipaInventory } from '../../helpers/core-env.js';
import { requireTools } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/wait.js';

const PARSER = fileURLToPath(new URL('../../../../test/integration/ops/prom-parse.py', import.meta.url));

export interface Sample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

export async function requireParser(): Promise<void> {
  await requireTools('/usr/bin/python3');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('/usr/bin/python3', ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' });
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error('python3-prometheus-client is missing: run scripts/setup.sh as root');
}

/** Parse exposition text with the reference parser; rejects with its error when it does not parse. */
export async function parseExposition(text: string): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [PARSER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`/metrics does not parse: ${err}`));
      else
        resolve(
          out
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Sample),
        );
    });
    child.stdin.end(text);
  });
}

/** Value of the sample `name` whose labels include `labels` (0 when absent). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value ?? 0;
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const r = await fetch(`${url}/metrics`, { headers });
  if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
  return parseExposition(await r.text());
}

/** Enrol a node with one port and start its introspection without boot management. */
export async function enrolAndStart(url: string, name: string, mac: string): Promise<string> {
  const created = await api(url, 'POST', '/v1/nodes', {
    name,
    driver_info: { ipmi_address: '198.18.1.50', ipmi_username: 'admin', ipmi_password: 'topsecret' },
    ports: [{ address: mac }],
  });
  if (created.status !== 201) throw new Error(`enrol: ${created.status} ${created.text}`);
  const uuid = (created.json as { uuid: string }).uuid;
  const started = await api(url, 'POST', `/v1/introspection/${uuid}?manage_boot=false`);
  if (started.status !== 202) throw new Error(`start: ${started.status} ${started.text}`);
  await waitForState(url, uuid, 'waiting');
  return uuid;
}

export async function waitForState(url: string, uuid: string, state: string): Promise<void> {
  await waitFor(
    async () =>
      ((await api(url, 'GET', `/v1/introspection/${uuid}`)).json as { state?: string }).state === state,
    `node ${uuid} in state ${state}`,
    15_000,
    50,
  );
}

export function callbackBody(mac: string): string {
  return JSON.stringify(ipaInventory(mac));
}

export type Sections = IniSections;

export async function writeIni(path: string, sections: Sections): Promise<void> {
  await writeFile(path, iniText(sections));
}
