import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from './app-runtime';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  /** Share of the sampled time (idle excluded), 0–1. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled milliseconds the api thread was busy (idle excluded). */
  busyMs: number;
  idleMs: number;
  /** Top functions by self time. */
  topSelf: ProfileEntry[];
  /** Self time grouped by where the code lives (package, Switchboard lib, node internals, GC). */
  byOrigin: ProfileEntry[];
  /** Switchboard's own functions by inclusive (synchronous) time: what they and their callees cost. */
  topInclusiveOwn: ProfileEntry[];
  /** Every busy sample in one bucket of work, by the first rule its stack matches. */
  byActivity: ProfileEntry[];
}

/** Ordered: a pg write inside TypeORM inside the controller is database I/O, not the query builder. */
const ACTIVITIES: Array<[string, RegExp]> = [
  ['garbage collection', /^\(garbage collector\)/],
  ['PostgreSQL client: pg, pg-pool, socket writes/reads of queries', /node_modules\/(pg|pg-pool|pg-protocol|pg-types|postgres-date|postgres-array)\/|typeorm\/driver\//],
  ['TypeORM query builder and entity mapping', /typeorm\//],
  ['RBAC: CASL abilities, access filter, permissionsOf', /@casl\/|@ucast\/|libs\/access\/|permissionsOf/],
  ['authentication (token hash, caller, actor)', /libs\/identity\/|actorFor|authenticate/],
  ['HTTP and controllers: fastify, Nest router, guard, interceptor, helmet, cookies, rxjs, node http/net', /fastify|@nestjs\/|helmet|rxjs|node:_http|node:net|node:internal\/(streams|stream_base)|apps\/api\//],
];

function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(apps\/[^/]+|libs\/[^/]+)\//.exec(url);
  if (own) return `switchboard ${own[1]}`;
  return url;
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/(.*)$/.exec(path);
  if (pkg) return pkg[1];
  return path.startsWith('/') ? relative(REPO_ROOT, path) : path;
}

/** Self and inclusive time per function of a V8 .cpuprofile, idle time set apart. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    return url ? `${functionName || '(anonymous)'}  ${shortUrl(url)}:${lineNumber + 1}` : functionName || '(anonymous)';
  };
  const self = new Map<string, number>();
  const origins = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const activities = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, index) => {
    // timeDeltas[i] is the time before sample i; the time after it is the next delta.
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    const node = byId.get(id) as ProfileNode;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      return;
    }
    busy += ms;
    const name = label(node);
    self.set(name, (self.get(name) ?? 0) + ms);
    const origin = originOf(node.callFrame.url, node.callFrame.functionName);
    origins.set(origin, (origins.get(origin) ?? 0) + ms);
    const stack: string[] = [];
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current) as ProfileNode;
      stack.push(`${frame.callFrame.functionName} ${frame.callFrame.url}`);
    }
    const activity = ACTIVITIES.find(([, rule]) => stack.some((line) => rule.test(line)))?.[0] ?? 'other (node internals, promise machinery, timers)';
    activities.set(activity, (activities.get(activity) ?? 0) + ms);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current) as ProfileNode;
      if (!/\/(apps|libs)\//.test(frame.callFrame.url) || /node_modules/.test(frame.callFrame.url)) continue;
      const frameName = label(frame);
      if (seen.has(frameName)) continue;
      seen.add(frameName);
      inclusive.set(frameName, (inclusive.get(frameName) ?? 0) + ms);
    }
  });
  const entries = (map: Map<string, number>, count: number): ProfileEntry[] =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / Math.max(1, busy)) * 1000) / 1000 }));
  return { busyMs: Math.round(busy), idleMs: Math.round(idle), topSelf: entries(self, top), byOrigin: entries(origins, top), topInclusiveOwn: entries(inclusive, top), byActivity: entries(activities, ACTIVITIES.length + 1) };
}
