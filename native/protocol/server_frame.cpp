// Protocol v1 server frames, serialised by hand into one reserved string: the hot frames
// (msg, ack) cost one allocation each and no intermediate JSON tree.
#include "protocol/server_frame.h"

#include <charconv>
#include <cstring>

#include "util/log.h"  // the JSON string escaper, shared with log lines

namespace sb::protocol {

void append_json_string(std::string& out, std::string_view s) { util::append_json_string(out, s); }

namespace {

template <typename Int>
void append_number(std::string& out, Int v) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_uint(std::string& out, std::uint64_t v) { append_number(out, v); }
void append_int(std::string& out, std::int64_t v) { append_number(out, v); }

/** Appends `,"k":` in one call; the length is known at compile time. */
template <std::size_t N>
void key(std::string& out, const char (&k)[N]) {
  char buf[N + 4];
  buf[0] = ',';
  buf[1] = '"';
  std::memcpy(buf + 2, k, N - 1);
  buf[N + 1] = '"';
  buf[N + 2] = ':';
  out.append(buf, N + 3);
}

void str_or_null(std::string& out, std::string_view s) {
  if (s.empty())
    out += "null";
  else
    append_json_string(out, s);
}

/** Room for one msg frame; an eighth more for the text's escapes, which are rare in chat. */
std::size_t msg_size_hint(const store::message& m) {
  return 128 + m.conv.size() + m.client_id.size() + m.sender_kind.size() + m.sender_id.size() +
         m.sender_name.size() + m.text.size() + m.text.size() / 8;
}

void append_msg_body(std::string& out, const store::message& m, bool with_client_id,
                     std::string_view stream = {}) {
  out += "{\"t\":\"msg\",\"conv\":";
  append_json_string(out, m.conv);
  key(out, "seq");
  append_uint(out, m.seq);
  key(out, "id");
  out.push_back('"');
  append_int(out, m.id);
  out.push_back('"');
  if (with_client_id && !m.client_id.empty()) {
    key(out, "clientId");
    append_json_string(out, m.client_id);
  }
  if (!stream.empty()) {
    key(out, "stream");
    append_json_string(out, stream);
  }
  out += ",\"from\":{\"kind\":";
  append_json_string(out, m.sender_kind);
  key(out, "id");
  append_json_string(out, m.sender_id);
  key(out, "name");
  append_json_string(out, m.sender_name);
  out += "},\"text\":";
  append_json_string(out, m.text);
  key(out, "ts");
  append_int(out, m.ts_ms);
  out.push_back('}');
}

}  // namespace

std::string welcome_visitor(std::string_view visitor_id, std::string_view visitor_token,
                            std::string_view conv, std::uint64_t last_seq, int agents_online) {
  std::string out;
  out.reserve(160 + visitor_token.size());
  out += "{\"t\":\"welcome\",\"role\":\"visitor\",\"visitor\":";
  append_json_string(out, visitor_id);
  key(out, "visitorToken");
  append_json_string(out, visitor_token);
  key(out, "conv");
  str_or_null(out, conv);
  key(out, "lastSeq");
  append_uint(out, last_seq);
  key(out, "agentsOnline");
  append_int(out, agents_online);
  out.push_back('}');
  return out;
}

std::string welcome_agent(std::string_view agent_id, std::string_view name,
                          const std::vector<std::string>& sites) {
  std::size_t size = 64 + agent_id.size() + name.size();
  for (const auto& s : sites) size += s.size() + 3;
  std::string out;
  out.reserve(size);
  out += "{\"t\":\"welcome\",\"role\":\"agent\",\"agent\":";
  append_json_string(out, agent_id);
  key(out, "name");
  append_json_string(out, name);
  out += ",\"sites\":[";
  for (std::size_t i = 0; i < sites.size(); i++) {
    if (i) out.push_back(',');
    append_json_string(out, sites[i]);
  }
  out += "]}";
  return out;
}

std::string ack(std::string_view client_id, std::string_view conv, std::uint64_t seq,
                std::int64_t ts_ms) {
  std::string out;
  out.reserve(64 + client_id.size() + conv.size());
  out += "{\"t\":\"ack\",\"id\":";
  append_json_string(out, client_id);
  key(out, "conv");
  append_json_string(out, conv);
  key(out, "seq");
  append_uint(out, seq);
  key(out, "ts");
  append_int(out, ts_ms);
  out.push_back('}');
  return out;
}

std::string msg(const store::message& m, bool with_client_id, std::string_view stream) {
  std::string out;
  out.reserve(msg_size_hint(m) + stream.size() + 12);
  append_msg_body(out, m, with_client_id, stream);
  return out;
}

std::string delta(std::string_view conv, std::string_view stream, std::string_view text) {
  std::string out;
  out.reserve(48 + conv.size() + stream.size() + text.size() + text.size() / 8);
  out += "{\"t\":\"delta\",\"conv\":";
  append_json_string(out, conv);
  key(out, "stream");
  append_json_string(out, stream);
  key(out, "text");
  append_json_string(out, text);
  out.push_back('}');
  return out;
}

std::string delta_end(std::string_view conv, std::string_view stream, std::string_view reason) {
  std::string out = "{\"t\":\"delta-end\",\"conv\":";
  append_json_string(out, conv);
  key(out, "stream");
  append_json_string(out, stream);
  key(out, "reason");
  append_json_string(out, reason);
  out.push_back('}');
  return out;
}

namespace {
void append_assist_head(std::string& out, const char* type, std::string_view conv,
                        std::string_view ref, std::string_view stream, std::string_view kind) {
  out += "{\"t\":\"";
  out += type;
  out += "\",\"conv\":";
  append_json_string(out, conv);
  key(out, "ref");
  if (ref.empty())
    out += "null";
  else
    append_json_string(out, ref);
  key(out, "stream");
  append_json_string(out, stream);
  key(out, "kind");
  append_json_string(out, kind);
}
}  // namespace

std::string assist_delta(std::string_view conv, std::string_view ref, std::string_view stream,
                         std::string_view kind, std::string_view text) {
  std::string out;
  append_assist_head(out, "assist", conv, ref, stream, kind);
  key(out, "delta");
  append_json_string(out, text);
  out.push_back('}');
  return out;
}

std::string assist_end(std::string_view conv, std::string_view ref, std::string_view stream,
                       std::string_view kind, std::string_view text, std::string_view error) {
  std::string out;
  append_assist_head(out, "assist-end", conv, ref, stream, kind);
  key(out, "text");
  append_json_string(out, text);
  key(out, "error");
  if (error.empty())
    out += "null";
  else
    append_json_string(out, error);
  out.push_back('}');
  return out;
}

std::string history(std::string_view conv, const std::vector<store::message>& messages, bool more) {
  std::size_t size = 64 + conv.size();
  for (const auto& m : messages) size += msg_size_hint(m);
  std::string out;
  out.reserve(size);
  out += "{\"t\":\"history\",\"conv\":";
  append_json_string(out, conv);
  out += ",\"messages\":[";
  for (std::size_t i = 0; i < messages.size(); i++) {
    if (i) out.push_back(',');
    append_msg_body(out, messages[i], false);
  }
  out += "],\"more\":";
  out += more ? "true" : "false";
  out.push_back('}');
  return out;
}

std::string error(std::string_view ref, std::string_view code, std::string_view message,
                  std::optional<std::int64_t> retry_after_ms) {
  std::string out;
  out.reserve(96 + ref.size() + code.size() + message.size());
  out += "{\"t\":\"error\",\"ref\":";
  str_or_null(out, ref);
  key(out, "code");
  append_json_string(out, code);
  key(out, "message");
  append_json_string(out, message);
  if (retry_after_ms) {
    key(out, "retryAfterMs");
    append_int(out, *retry_after_ms);
  }
  out.push_back('}');
  return out;
}

std::string conv_state(const store::conversation& c, const std::optional<agent_ref>& agent) {
  std::string out;
  out.reserve(128 + c.id.size() + c.state.size() + c.site.size() + c.visitor_id.size() +
              c.team.size() + (agent ? agent->id.size() + agent->name.size() : 0));
  out += "{\"t\":\"conv\",\"conv\":";
  append_json_string(out, c.id);
  key(out, "state");
  append_json_string(out, c.state);
  key(out, "agent");
  if (agent) {
    out += "{\"id\":";
    append_json_string(out, agent->id);
    key(out, "name");
    append_json_string(out, agent->name);
    out.push_back('}');
  } else {
    out += "null";
  }
  key(out, "site");
  append_json_string(out, c.site);
  out += ",\"visitor\":{\"id\":";
  append_json_string(out, c.visitor_id);
  out.push_back('}');
  key(out, "lastSeq");
  append_uint(out, c.last_seq);
  if (!c.team.empty()) {
    key(out, "team");
    append_json_string(out, c.team);
  }
  out.push_back('}');
  return out;
}

std::string typing(std::string_view conv, std::string_view from_kind, std::string_view from_id,
                   bool on) {
  std::string out;
  out.reserve(64 + conv.size() + from_kind.size() + from_id.size());
  out += "{\"t\":\"typing\",\"conv\":";
  append_json_string(out, conv);
  out += ",\"from\":{\"kind\":";
  append_json_string(out, from_kind);
  key(out, "id");
  append_json_string(out, from_id);
  out += "},\"on\":";
  out += on ? "true" : "false";
  out.push_back('}');
  return out;
}

std::string read(std::string_view conv, std::string_view from_kind, std::string_view from_id,
                 std::uint64_t seq) {
  std::string out;
  out.reserve(80 + conv.size() + from_kind.size() + from_id.size());
  out += "{\"t\":\"read\",\"conv\":";
  append_json_string(out, conv);
  out += ",\"from\":{\"kind\":";
  append_json_string(out, from_kind);
  key(out, "id");
  append_json_string(out, from_id);
  out += "},\"seq\":";
  append_uint(out, seq);
  out.push_back('}');
  return out;
}

std::string queue(std::string_view site, const std::vector<queue_entry>& items) {
  std::size_t size = 64 + site.size();
  for (const auto& q : items)
    size += 128 + q.conv.size() + q.site.size() + q.visitor_id.size() + q.visitor_name.size() +
            q.preview.size();
  std::string out;
  out.reserve(size);
  out += "{\"t\":\"queue\",\"site\":";
  append_json_string(out, site);
  out += ",\"items\":[";
  for (std::size_t i = 0; i < items.size(); i++) {
    const auto& q = items[i];
    if (i) out.push_back(',');
    out += "{\"conv\":";
    append_json_string(out, q.conv);
    key(out, "site");
    append_json_string(out, q.site);
    out += ",\"visitor\":{\"id\":";
    append_json_string(out, q.visitor_id);
    key(out, "name");
    append_json_string(out, q.visitor_name);
    out.push_back('}');
    key(out, "preview");
    append_json_string(out, q.preview);
    key(out, "since");
    append_int(out, q.since_ms);
    key(out, "lastSeq");
    append_uint(out, q.last_seq);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string presence(std::string_view site, int agents_online) {
  std::string out;
  out.reserve(64 + site.size());
  out += "{\"t\":\"presence\",\"site\":";
  append_json_string(out, site);
  key(out, "agentsOnline");
  append_int(out, agents_online);
  out.push_back('}');
  return out;
}

std::string pong() { return "{\"t\":\"pong\"}"; }

}  // namespace sb::protocol
