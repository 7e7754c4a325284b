// bench/ai/openai-relay-server.js — the reference relay for the AI benchmark: a plain Node
// server (`ws` + `bufferutil`) that speaks enough of Switchboard's visitor protocol for the
// bench client (hello → welcome, send → ack, then delta… and a final msg carrying the stream)
// and answers every visitor message with the official `openai` client:
// chat.completions.create({stream: true}) against the bench upstream, one `delta` frame per
// chunk with content. Like Switchboard it sends a system prompt and the conversation's last 20
// turns, and a newer message cancels the reply still streaming. No storage, no filters.
// Usage: node bench/ai/openai-relay-server.js --upstream http://127.0.0.1:PORT/v1
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const OpenAI = require('openai');

const args = process.argv.slice(2);
const upstream = args[args.indexOf('--upstream') + 1];
const SYSTEM = 'You are a helpful customer-service assistant. Answer briefly and politely.';
const HISTORY = 20;

try { require('bufferutil'); } catch { console.error('openai-relay: bufferutil is not installed'); }
const openai = new OpenAI({ baseURL: upstream, apiKey: 'k', maxRetries: 0, timeout: 600000 });
let ids = 0;

function onConnection(ws) {
  const conv = { id: `c_${++ids}`, seq: 0, turns: [], abort: null };
  ws.on('message', (data) => {
    let f;
    try { f = JSON.parse(data.toString()); } catch { return; }
    if (f.t === 'hello') {
      ws.send(JSON.stringify({ t: 'welcome', role: 'visitor', visitor: `v_${ids}`, visitorToken: 'x',
        conv: null, lastSeq: 0, agentsOnline: 0 }));
    } else if (f.t === 'send' && typeof f.text === 'string') {
      conv.seq++;
      ws.send(JSON.stringify({ t: 'ack', id: f.id, conv: conv.id, seq: conv.seq, ts: Date.now() }));
      conv.turns.push({ role: 'user', content: f.text });
      if (conv.abort) conv.abort.abort(); // a newer message supersedes the reply in flight
      reply(ws, conv).catch(() => {});
    }
  });
  ws.on('close', () => { if (conv.abort) conv.abort.abort(); });
  ws.on('error', () => {});
}

async function reply(ws, conv) {
  const abort = new AbortController();
  conv.abort = abort;
  const stream = `s_${++ids}`;
  const messages = [{ role: 'system', content: SYSTEM }, ...conv.turns.slice(-HISTORY)];
  const completion = await openai.chat.completions.create(
    { model: 'bench-model', stream: true, stream_options: { include_usage: true }, messages },
    { signal: abort.signal });
  let text = '';
  for await (const chunk of completion) {
    const piece = chunk.choices[0] && chunk.choices[0].delta && chunk.choices[0].delta.content;
    if (!piece) continue;
    text += piece;
    ws.send(JSON.stringify({ t: 'delta', conv: conv.id, stream, text: piece }));
  }
  if (conv.abort === abort) conv.abort = null;
  conv.turns.push({ role: 'assistant', content: text });
  conv.seq++;
  ws.send(JSON.stringify({ t: 'msg', conv: conv.id, seq: conv.seq, id: String(conv.seq), stream,
    from: { kind: 'bot', id: 'bot:demo', name: 'Assistant' }, text, ts: Date.now() }));
}

const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({
  server, path: '/ws', perMessageDeflate: false, maxPayload: 64 * 1024, clientTracking: false,
  handleProtocols: (protocols) => (protocols.has('switchboard.v1') ? 'switchboard.v1' : false),
});
wss.on('connection', onConnection);
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, server: 'openai-relay', port: server.address().port, pid: process.pid }));
});
process.on('SIGTERM', () => process.exit(0));
// The memory phase reads RSS after a full collection (node --expose-gc; bench/ai/phases.cpp).
process.on('SIGUSR2', () => { if (global.gc) global.gc(); });
