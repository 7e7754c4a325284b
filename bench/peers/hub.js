// bench/peers/hub.js — the routing every reference server shares (Node+ws, uWebSockets.js,
// Bun), so only the transport differs: visitor/agent hello → welcome, a visitor's first send
// opens a conversation assigned to the least busy free agent (conv frame), send → ack + msg
// to every connection of both participants with a per-conversation seq. In memory, no
// persistence, no idempotency table; any agent token is accepted (one agent per token).
'use strict';

function createHub({ send, close, maxChats = 1 }) {
  const agents = new Map(); // token -> agent
  const convs = new Map(); // conv id -> conv
  const queue = []; // conversations waiting for an agent, oldest first
  let nextId = 0;
  let onlineAgents = 0;

  const toAll = (conns, frame) => { for (const c of conns) send(c, frame); };
  const error = (conn, ref, code, message) =>
    send(conn, JSON.stringify({ t: 'error', ref: ref ?? null, code, message }));

  function convFrame(conv) {
    const a = conv.agent;
    return JSON.stringify({
      t: 'conv', conv: conv.id, state: conv.state, site: 'demo',
      agent: a ? { id: a.id, name: a.name } : null,
      visitor: { id: conv.visitor.id, name: conv.visitor.name }, lastSeq: conv.seq,
    });
  }

  function assign(conv) {
    let best = null;
    for (const a of agents.values()) {
      if (a.conns.size > 0 && a.active < maxChats && (!best || a.active < best.active)) best = a;
    }
    if (!best) return false;
    best.active++;
    conv.agent = best;
    conv.state = 'assigned';
    const frame = convFrame(conv);
    toAll(conv.visitor.conns, frame);
    toAll(best.conns, frame);
    return true;
  }

  function openConversation(visitor) {
    const conv = { id: 'c' + (++nextId), visitor, agent: null, seq: 0, state: 'queued' };
    convs.set(conv.id, conv);
    visitor.conv = conv;
    if (!assign(conv)) {
      queue.push(conv);
      toAll(visitor.conns, convFrame(conv));
    }
    return conv;
  }

  function hello(conn, f) {
    if (f.role === 'visitor') {
      if (f.site !== 'demo') return close(conn, 4401, 'unknown site');
      const id = 'v' + (++nextId);
      conn.principal = { kind: 'visitor', id, name: 'Visitor ' + id, conns: new Set([conn]), conv: null };
      conn.role = 'visitor';
      return send(conn, JSON.stringify({
        t: 'welcome', role: 'visitor', visitor: id, visitorToken: 'vt-' + id, conv: null,
        lastSeq: 0, agentsOnline: onlineAgents,
      }));
    }
    if (f.role === 'agent') {
      if (typeof f.token !== 'string' || f.token.length === 0) return close(conn, 4401, 'bad token');
      let a = agents.get(f.token);
      if (!a) {
        a = { kind: 'agent', id: 'a' + (++nextId), name: 'Agent ' + agents.size, conns: new Set(), active: 0 };
        agents.set(f.token, a);
      }
      if (a.conns.size === 0) onlineAgents++;
      a.conns.add(conn);
      conn.principal = a;
      conn.role = 'agent';
      send(conn, JSON.stringify({ t: 'welcome', role: 'agent', agent: a.id, name: a.name, sites: ['demo'] }));
      send(conn, JSON.stringify({ t: 'queue', site: 'demo', items: [] }));
      for (let n = 0; n < queue.length && a.active < maxChats; ) {
        if (assign(queue[n])) queue.splice(n, 1); else n++;
      }
      return undefined;
    }
    return close(conn, 4400, 'bad role');
  }

  function onSend(conn, f) {
    const who = conn.principal;
    if (typeof f.id !== 'string' || f.id.length < 1 || f.id.length > 64) {
      return error(conn, null, 'invalid', 'id must be a string of 1..64 characters');
    }
    if (typeof f.text !== 'string') return error(conn, f.id, 'invalid', 'text must be a string');
    let conv;
    if (f.conv == null) {
      if (conn.role !== 'visitor') return error(conn, f.id, 'invalid', 'conv is required');
      conv = who.conv || openConversation(who);
    } else {
      conv = convs.get(f.conv);
      if (!conv) return error(conn, f.id, 'not_found', 'no such conversation');
      if (conv.visitor !== who && conv.agent !== who) return error(conn, f.id, 'forbidden', 'not a participant');
    }
    const seq = ++conv.seq;
    const ts = Date.now();
    send(conn, JSON.stringify({ t: 'ack', id: f.id, conv: conv.id, seq, ts }));
    const msg = JSON.stringify({
      t: 'msg', conv: conv.id, seq, id: 'm' + (++nextId), clientId: f.id,
      from: { kind: who.kind, id: who.id, name: who.name }, text: f.text, ts,
    });
    toAll(conv.visitor.conns, msg);
    if (conv.agent) toAll(conv.agent.conns, msg);
    return undefined;
  }

  return {
    onText(conn, text) {
      let f;
      try { f = JSON.parse(text); } catch { return close(conn, 4400, 'malformed JSON'); }
      if (f === null || typeof f !== 'object' || typeof f.t !== 'string') return close(conn, 4400, 'no type');
      if (!conn.role) return f.t === 'hello' ? hello(conn, f) : close(conn, 4401, 'hello first');
      if (f.t === 'send') return onSend(conn, f);
      if (f.t === 'ping') return send(conn, '{"t":"pong"}');
      return error(conn, null, 'invalid', 'unsupported type');
    },
    onClose(conn) {
      const who = conn.principal;
      if (!who) return;
      who.conns.delete(conn);
      if (conn.role === 'agent' && who.conns.size === 0) onlineAgents--;
    },
  };
}

// Parses `--port N --host H` style arguments into an object of strings.
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i + 1 < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

module.exports = { createHub, parseArgs };
