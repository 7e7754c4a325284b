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

}  // namespace

bool decode_chunk(std::string_view data, chunk& out) { return decode(data, "delta", out); }

bool decode_completion(std::string_view body, chunk& out) { return decode(body, "message", out); }

std::string error_message_of(std::string_view body) {
  std::string text;
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error"))
    text = error_text(j["error"]);
  else
    text = std::string(body.substr(0, 201));
  if (text.size() > 200) {
    std::size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut--;
    text.resize(cut);
  }
  return text;
}

}  // namespace sb::ai
