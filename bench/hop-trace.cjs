/**
 * `BENCH_HOPS=1`: preloaded (`node --require`) into every process under test, so the latency
 * runs can say where trigger → step running goes, hop by hop, in both pipelines. It wraps a few
 * library calls and notes when each happens, per execution id, in epoch milliseconds (the clock
 * of the benchmark's own marks):
 *
 * - the api: a POST …/executions request read (no id yet), the insert statement sent and
 *   answered, the BullMQ add sent and answered;
 * - Switchboard's worker: the job handed to the processor, the claim statement sent and
 *   answered, the spawn request written to the step launcher;
 * - the bare worker: the job, its insert and its "running" update sent and answered, spawn().
 *
 * Nothing of the application is changed: this file exists only in the benchmark, and only
 * wraps `pg`, `bullmq`, `http`, `net` and `child_process` from the outside. What it costs (a
 * timestamp and an array push per event, an extra promise per wrapped call) is in the figures it
 * measures. The node step launcher (no python3) speaks over an IPC channel and is not seen.
 *
 * Plain CommonJS, not TypeScript: the processes under test run compiled JavaScript.
 */
'use strict';
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const http = require('node:http');
const net = require('node:net');
const childProcess = require('node:child_process');

const dir = process.env.BENCH_HOP_TRACE_DIR;
if (!dir) throw new Error('bench/hop-trace.cjs needs BENCH_HOP_TRACE_DIR');
// The application's own copies: the processes run with the repository as their working directory.
const fromApp = (name) => require(require.resolve(name, { paths: [process.cwd()] }));
const { Pool } = fromApp('pg');
const bullmq = fromApp('bullmq');

const now = () => performance.timeOrigin + performance.now();
const pending = [];
const file = join(dir, `${process.pid}.jsonl`);
const flush = () => {
  if (pending.length === 0) return;
  appendFileSync(file, `${pending.join('\n')}\n`);
  pending.length = 0;
};
setInterval(flush, 250).unref();
process.on('exit', flush);
const note = (event, id) => pending.push(JSON.stringify({ event, id, t: now() }));

/** The statements that matter, by the prepared statement's name (Switchboard) or its text (bare). */
function statementOf(config, values) {
  if (config && typeof config === 'object' && typeof config.name === 'string') {
    const kind = config.name.replace(/_[0-9a-f]{16}$/, '');
    if (kind === 'execution_insert') return { kind: 'insert', id: config.values[0] };
    if (kind === 'execution_claim') return { kind: 'claim', id: config.values[0] };
    return undefined;
  }
  if (typeof config === 'string' && Array.isArray(values)) {
    if (config.startsWith('INSERT INTO bench_bare_jobs')) return { kind: 'insert', id: values[0] };
    if (config.startsWith('UPDATE bench_bare_jobs') && config.includes('started_at')) return { kind: 'claim', id: values[0] };
  }
  return undefined;
}

const query = Pool.prototype.query;
Pool.prototype.query = function tracedQuery(config, values, callback) {
  const statement = typeof values === 'function' || callback ? undefined : statementOf(config, values);
  if (!statement) return query.call(this, config, values, callback);
  note(`${statement.kind}_sent`, statement.id);
  return query.call(this, config, values).then((result) => {
    note(`${statement.kind}_done`, statement.id);
    return result;
  });
};

const add = bullmq.Queue.prototype.add;
bullmq.Queue.prototype.add = function tracedAdd(name, data, opts) {
  const id = data && data.executionId;
  if (id) note('add_sent', id);
  return add.call(this, name, data, opts).then((job) => {
    if (id) note('add_done', id);
    return job;
  });
};

// The bare worker runs one job at a time in the latency runs: its spawn() belongs to the last job.
let lastJob;
const callProcessJob = bullmq.Worker.prototype.callProcessJob;
bullmq.Worker.prototype.callProcessJob = function tracedCallProcessJob(job, ...rest) {
  lastJob = (job.data && job.data.executionId) || job.id;
  note('job', lastJob);
  return callProcessJob.call(this, job, ...rest);
};

const spawn = childProcess.spawn;
childProcess.spawn = function tracedSpawn(command, ...rest) {
  if (command === 'bash' && lastJob) note('launch', lastJob);
  return spawn.call(this, command, ...rest);
};

// Switchboard's worker writes each spawn request to the python step launcher's stdin as one JSON line.
const LAUNCH = /"SWITCHBOARD_EXECUTION_ID":"([0-9a-f-]{36})"/;
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function tracedWrite(chunk, ...rest) {
  if (typeof chunk === 'string' && chunk.startsWith('{"type":"spawn"')) {
    const match = LAUNCH.exec(chunk);
    if (match) note('launch', match[1]);
  }
  return write.call(this, chunk, ...rest);
};

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function tracedEmit(event, request, ...rest) {
  if (event === 'request' && request.method === 'POST' && /\/executions(\?|$)/.test(request.url)) note('request', null);
  return emit.call(this, event, request, ...rest);
};
