// bench/limiter/upstream.js — the limiter bench's AI upstream, run as a child process (pinned
// to CPU 1): an OpenAI-style streaming chat-completions server with a fixed capacity. Past
// `capacity` streams in flight it answers 429 with Retry-After: 1, as providers do. Leaner than
// js/mock-ai.js for long runs (no per-request log) and on a fixed schedule: content chunk i at
// firstTokenMs + i x chunkMs from the request's arrival, the end at serviceMs.
// Controlled over IPC: {cmd:'capacity', n}; reports {t:'sample', …} every 100 ms.
'use strict';
const http = require('http');

const opts = JSON.parse(process.argv[2] || '{}');
const KEY = `Bearer ${opts.apiKey || 'k'}`;
const FIRST_MS = opts.firstTokenMs ?? 100;
const CHUNK_MS = opts.chunkMs ?? 25;
const CHUNKS = opts.chunks ?? 8;
const SERVICE_MS = opts.serviceMs ?? 300;
let capacity = opts.capacity ?? 20;

// Counters are cumulative; maxStreams/maxOpen are since the last sample.
const c = { requests: 0, ok: 0, r429: 0, completed: 0, cancelled: 0, streams: 0, open: 0, maxStreams: 0, maxOpen: 0 };

function sse(res, obj) {
  res.write(`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`);
}

function stream(req, res, body) {
  const started = Date.now();
  const base = { id: `chatcmpl-${c.requests}`, object: 'chat.completion.chunk', created: Math.floor(started / 1000), model: body.model };
  const chunk = (delta, finish = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  sse(res, chunk({ role: 'assistant', content: '' }));
  const timers = [];
  for (let i = 0; i < CHUNKS; i++) {
    timers.push(setTimeout(() => sse(res, chunk({ content: `w${i} ` })), FIRST_MS + i * CHUNK_MS));
  }
  timers.push(setTimeout(() => {
    sse(res, chunk({}, 'stop'));
    if (body.stream_options && body.stream_options.include_usage) {
      sse(res, { ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: CHUNKS, total_tokens: 10 + CHUNKS } });
    }
    sse(res, '[DONE]');
    res.end();
    c.completed++;
  }, Math.max(SERVICE_MS, FIRST_MS + (CHUNKS - 1) * CHUNK_MS)));
  res.once('close', () => {
    if (!res.writableFinished) c.cancelled++;
    for (const t of timers) clearTimeout(t);
  });
}

function refuse(res, status, message) {
  const body = JSON.stringify({ error: { message, type: status === 429 ? 'requests' : 'invalid_request_error', code: status === 429 ? 'rate_limit_exceeded' : null } });
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (status === 429) headers['retry-after'] = '1';
  res.writeHead(status, headers);
  res.end(body);
}

const server = http.createServer((req, res) => {
  c.requests++;
  c.open++;
  c.maxOpen = Math.max(c.maxOpen, c.open);
  // Capacity is taken when the request arrives, as js/mock-ai.js does: a stream holds its
  // slot until its response ends or its client goes away.
  const admitted = c.streams < capacity;
  if (admitted) {
    c.streams++;
    c.maxStreams = Math.max(c.maxStreams, c.streams);
  }
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    c.open--;
    if (admitted) c.streams--;
  };
  res.once('finish', finish);
  res.once('close', finish);
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    if (req.headers.authorization !== KEY) return refuse(res, 401, 'Incorrect API key provided.');
    if (!admitted) {
      c.r429++;
      return refuse(res, 429, 'Too many concurrent requests.');
    }
    let body;
    try { body = JSON.parse(Buffer.concat(parts).toString('utf8')); } catch { body = null; }
    if (!body || !Array.isArray(body.messages)) return refuse(res, 400, 'bad request');
    c.ok++;
    stream(req, res, body);
  });
});
server.keepAliveTimeout = 60000;
server.headersTimeout = 65000;

let cpu0 = process.cpuUsage();
function sample() {
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user - cpu0.user + cpu.system - cpu0.system) / 1000;
  cpu0 = cpu;
  process.send({ t: 'sample', at: Date.now(), capacity, streams: c.streams, open: c.open, maxStreams: c.maxStreams,
    maxOpen: c.maxOpen, requests: c.requests, ok: c.ok, r429: c.r429, completed: c.completed, cancelled: c.cancelled, cpuMs });
  c.maxStreams = c.streams;
  c.maxOpen = c.open;
}

process.on('message', (m) => {
  if (m.cmd === 'capacity') {
    capacity = m.n;
    process.send({ t: 'capacity', n: capacity, at: Date.now() });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  setInterval(sample, 100);
  process.send({ t: 'ready', port: server.address().port, pid: process.pid });
});
