// Protocol v1 server frames, serialised by hand into one reserved string: the hot frames
// (msg, ack) cost one allocation each and no intermediate JSON tree.
#include "protocol/server_frame.h"

#include <cstdio>

namespace sb::protocol {

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the current run of bytes copied as they are
  auto flush = [&](std::size_t i) { out.append(s.data() + run, i - run); };
  for (std::size_t i = 0; i < s.size(); i++) {
    auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    char u[7];
    switch (c) {
      case '"':
        esc = "\\\"";
        break;
      case '\\':
        esc = "\\\\";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      // Escaped so a frame stays inert even if someone pastes it into HTML or a script.
      case '<':
        esc = "\\u003c";
        break;
      case '>':
        esc = "\\u003e";
        break;
      case '&':
        esc = "\\u0026";
        break;
      default:
        if (c < 0x20) {
          u[0] = '\\';
          u[1] = 'u';
          u[2] = '0';
          u[3] = '0';
          u[4] = hex[c >> 4];
          u[5] = hex[c & 15];
          u[6] = 0;
          esc = u;
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
          // U+2028 / U+2029 end lines in JavaScript source.
          flush(i);
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
          run = i + 1;
          continue;
        }
    }
    if (esc) {
      flush(i);
      out += esc;
      run = i + 1;
    }
  }
  flush(s.size());
  out.push_back('"');
}

namespace {

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

void key(std::string& out, const char* k) {
  out.push_back(',');
  out.push_back('"');
  out += k;
  out += "\":";
}

void str_or_null(std::string& out, std::string_view s) {
  if (s.empty())
    out += "null";
  else
    append_json_string(out, s);
}

void append_msg_body(std::string& out, const store::message& m, bool with_client_id) {
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
  std::string out = "{\"t\":\"welcome\",\"role\":\"agent\",\"agent\":";
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

std::string msg(const store::message& m, bool with_client_id) {
  std::string out;
  out.reserve(128 + m.conv.size() + m.client_id.size() + m.sender_id.size() + m.sender_name.size() +
              m.text.size() + m.text.size() / 8);
  append_msg_body(out, m, with_client_id);
  return out;
}

std::string history(std::string_view conv, const std::vector<store::message>& messages, bool more) {
  std::string out = "{\"t\":\"history\",\"conv\":";
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
  std::string out = "{\"t\":\"error\",\"ref\":";
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
  std::string out = "{\"t\":\"conv\",\"conv\":";
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
  std::string out = "{\"t\":\"typing\",\"conv\":";
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
  std::string out = "{\"t\":\"read\",\"conv\":";
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
  std::string out = "{\"t\":\"queue\",\"site\":";
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
  std::string out = "{\"t\":\"presence\",\"site\":";
  append_json_string(out, site);
  key(out, "agentsOnline");
  append_int(out, agents_online);
  out.push_back('}');
  return out;
}

std::string pong() { return "{\"t\":\"pong\"}"; }

}  // namespace sb::protocol
