// Encoding and decoding of chat-completions JSON with nlohmann::json. Decoding is lenient about
// what it does not need (unknown fields, null content, reasoning fields) and strict about shape.
#include "ai/wire.h"

#include <nlohmann/json.hpp>

namespace sb::ai {

using json = nlohmann::json;

std::string encode_chat_request(const request_options& o, const std::vector<chat_message>& messages,
                                const std::vector<tool_spec>& tools, bool stream) {
  json body;
  body["model"] = o.model;
  json& msgs = body["messages"] = json::array();
  for (const auto& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  if (o.temperature >= 0) body["temperature"] = o.temperature;
  if (o.max_tokens > 0) body["max_tokens"] = o.max_tokens;
  body["stream"] = stream;
  if (stream && o.include_usage) body["stream_options"] = {{"include_usage", true}};
  if (!tools.empty()) {
    json& t = body["tools"] = json::array();
    for (const auto& tool : tools) {
      json params = json::parse(tool.parameters_json, nullptr, false);
      if (params.is_discarded()) params = json::object({{"type", "object"}});
      t.push_back({{"type", "function"},
                   {"function",
                    {{"name", tool.name},
                     {"description", tool.description},
                     {"parameters", std::move(params)}}}});
    }
  }
  // Invalid UTF-8 in a stored text (never accepted from clients, but be safe) is replaced.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

const json* field(const json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

void read_usage(const json& j, chunk& out) {
  const json* u = field(j, "usage");
  if (!u || !u->is_object()) return;
  const json* p = field(*u, "prompt_tokens");
  const json* c = field(*u, "completion_tokens");
  if (p && p->is_number_unsigned()) out.usage.prompt = p->get<std::uint64_t>();
  if (c && c->is_number_unsigned()) out.usage.completion = c->get<std::uint64_t>();
  out.has_usage = true;
}

std::string error_text(const json& e) {
  if (e.is_string()) return e.get<std::string>();
  if (const json* m = e.is_object() ? field(e, "message") : nullptr; m && m->is_string())
    return m->get<std::string>();
  return "upstream error";
}

/** Reads content / tool call / finish reason from one choice's `delta` or `message`. */
void read_choice(const json& choice, const char* part, chunk& out) {
  if (const json* fr = field(choice, "finish_reason"); fr && fr->is_string())
    out.finish_reason = fr->get<std::string>();
  const json* d = field(choice, part);
  if (!d || !d->is_object()) return;
  if (const json* c = field(*d, "content"); c && c->is_string())
    out.content = c->get<std::string>();
  const json* calls = field(*d, "tool_calls");
  if (!calls || !calls->is_array() || calls->empty()) return;
  const json* fn = field((*calls)[0], "function");
  if (!fn || !fn->is_object()) return;
  if (const json* n = field(*fn, "name"); n && n->is_string())
    out.tool_name = n->get<std::string>();
  if (const json* a = field(*fn, "arguments"); a && a->is_string())
    out.tool_args = a->get<std::string>();
}

bool decode(std::string_view text, const char* part, chunk& out) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  if (const json* e = field(j, "error")) {
    out.error = error_text(*e);
    return true;
  }
  if (const json* choices = field(j, "choices");
      choices && choices->is_array() && !choices->empty())
    read_choice((*choices)[0], part, out);
  read_usage(j, out);
  return true;
}

/** Length of the valid UTF-8 sequence at `i`, 0 when there is none (RFC 3629: no overlongs,
 *  surrogates or code points past U+10FFFF). */
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i), lo = 0x80, hi = 0xBF;
  std::size_t len;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else
    return 0;
  if (i + len > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; k++)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return len;
}

/** `s` with each byte that starts no valid UTF-8 sequence replaced by U+FFFD: an error body can
 *  be anything (compressed, binary), and the message goes into logs and admin stats. */
std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = utf8_length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      i++;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace

bool decode_chunk(std::string_view data, chunk& out) { return decode(data, "delta", out); }

bool decode_completion(std::string_view body, chunk& out) { return decode(body, "message", out); }

std::string error_message_of(std::string_view body) {
  std::string text;
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error"))
    text = error_text(j["error"]);
  else
    text = to_valid_utf8(body.substr(0, 204));  // 204: a character begun before 200 is whole
  if (text.size() > 200) {
    std::size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut--;
    text.resize(cut);
  }
  return text;
}

}  // namespace sb::ai
