// Protocol v1 client frame parsing: UTF-8 of the raw frame first, then JSON without exceptions,
// then per-type field validation into a client_frame. Unknown extra fields are ignored.
#include "protocol/client_frame.h"

#include <nlohmann/json.hpp>

#include "protocol/utf8.h"

namespace sb::protocol {

namespace {

using json = nlohmann::json;

// The normative protocol counts ids in characters; we count code points, so any id a client
// measured in characters (or UTF-16 units, or bytes) as at most 64 is accepted.
constexpr std::size_t max_id_chars = 64;
constexpr std::size_t max_token_bytes = 1024;
constexpr std::size_t max_profile_bytes = 512;
constexpr std::size_t max_echo_bytes = 32;  // of an unknown `t`, quoted back in the message
constexpr std::uint64_t max_history_limit = 200;

struct type_name {
  std::string_view name;
  client_type type;
};
constexpr type_name types[] = {
    {"send", client_type::send},         {"typing", client_type::typing},
    {"read", client_type::read},         {"history", client_type::history},
    {"hello", client_type::hello},       {"accept", client_type::accept},
    {"transfer", client_type::transfer}, {"close", client_type::close},
    {"handoff", client_type::handoff},   {"status", client_type::status},
    {"ping", client_type::ping},         {"assist", client_type::assist},
};

/** Code points in `s`, which is valid UTF-8: every byte that is not a continuation byte. */
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/** The longest prefix of `s` of at most `max` bytes that does not split a UTF-8 sequence. */
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) cut--;
  return s.substr(0, cut);
}

bool is_id(const std::string& s) { return !s.empty() && utf8_length(s) <= max_id_chars; }

/**
 * Reads the fields of one JSON object. The first failure is recorded in the result with a
 * message naming the field by its path ("send.text", "hello.resume.conv"); null counts as
 * absent, so clients may send explicit nulls for optional fields.
 */
class field_reader {
 public:
  field_reader(const json& obj, std::string_view path, parse_result& r)
      : obj_(obj), path_(path), r_(r) {}

  bool fail(parse_error e, std::string_view field, std::string_view what) {
    if (r_.error == parse_error::none) {
      r_.error = e;
      r_.message.reserve(path_.size() + field.size() + what.size() + 2);
      r_.message.append(path_).append(".").append(field).append(" ").append(what);
    }
    return false;
  }

  /** The field, or nullptr when absent or null. */
  const json* find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  /** A string field; `*out` points into the JSON tree, valid while the reader's object is. */
  bool string(const char* key, const std::string** out, bool required) {
    *out = nullptr;
    const json* v = find(key);
    if (!v) return required ? fail(parse_error::invalid, key, "is required") : true;
    if (!v->is_string()) return fail(parse_error::invalid, key, "must be a string");
    *out = &v->get_ref<const std::string&>();
    return true;
  }

  /** An identifier: a string of 1..64 characters. */
  bool id(const char* key, std::string& out, bool required) {
    const std::string* s;
    if (!string(key, &s, required)) return false;
    if (!s) return true;
    if (!is_id(*s)) return fail(parse_error::invalid, key, "must be 1..64 characters");
    out = *s;
    return true;
  }

  /** An opaque token of at most 1024 bytes; an empty optional token means "none". */
  bool token(const char* key, std::string& out, bool required) {
    const std::string* s;
    if (!string(key, &s, required)) return false;
    if (!s) return true;
    if (required && s->empty()) return fail(parse_error::invalid, key, "must not be empty");
    if (s->size() > max_token_bytes)
      return fail(parse_error::invalid, key, "must be at most 1024 bytes");
    out = *s;
    return true;
  }

  bool uint(const char* key, std::uint64_t& out, bool required) {
    const json* v = find(key);
    if (!v) return required ? fail(parse_error::invalid, key, "is required") : true;
    // nlohmann stores non-negative integers as unsigned; negatives and fractions are not.
    if (!v->is_number_unsigned())
      return fail(parse_error::invalid, key, "must be a non-negative integer");
    out = v->get<std::uint64_t>();
    return true;
  }

  bool boolean(const char* key, bool& out) {
    const json* v = find(key);
    if (!v) return fail(parse_error::invalid, key, "is required");
    if (!v->is_boolean()) return fail(parse_error::invalid, key, "must be a boolean");
    out = v->get<bool>();
    return true;
  }

  /** An object field; `*out` is nullptr when it is absent. */
  bool object(const char* key, const json** out, bool required) {
    *out = find(key);
    if (!*out) return required ? fail(parse_error::invalid, key, "is required") : true;
    if (!(*out)->is_object()) return fail(parse_error::invalid, key, "must be an object");
    return true;
  }

  /** A reader for the object field `key` (already checked to be an object). */
  field_reader nested(const json& obj, const char* key) {
    nested_path_.assign(path_).append(".").append(key);
    return field_reader(obj, nested_path_, r_);
  }

 private:
  const json& obj_;
  std::string_view path_;
  parse_result& r_;
  std::string nested_path_;  // storage for a nested reader's path (one nested reader at a time)
};

bool parse_profile(field_reader& hello, visitor_profile& p) {
  const json* obj;
  if (!hello.object("profile", &obj, false)) return false;
  if (!obj) return true;
  field_reader f = hello.nested(*obj, "profile");
  struct {
    const char* key;
    std::string* out;
  } fields[] = {{"name", &p.name},
                {"email", &p.email},
                {"lang", &p.lang},
                {"page", &p.page},
                {"referrer", &p.referrer}};
  for (auto& field : fields) {
    const std::string* s;
    if (!f.string(field.key, &s, false)) return false;
    // Profile fields are informative: cut rather than refuse a long page URL.
    if (s) field.out->assign(utf8_prefix(*s, max_profile_bytes));
  }
  return true;
}

bool parse_resume(field_reader& hello, std::optional<resume_point>& out) {
  const json* obj;
  if (!hello.object("resume", &obj, false)) return false;
  if (!obj) return true;
  field_reader f = hello.nested(*obj, "resume");
  resume_point rp;
  if (!f.id("conv", rp.conv, true) || !f.uint("after", rp.after, true)) return false;
  out = std::move(rp);
  return true;
}

void parse_hello(field_reader& f, client_frame& c) {
  const std::string* role;
  if (!f.string("role", &role, true)) return;
  if (*role == "visitor") {
    if (!f.id("site", c.site, true)) return;
    if (!f.token("visitorToken", c.visitor_token, false)) return;
    if (!parse_profile(f, c.profile)) return;
  } else if (*role == "agent") {
    if (!f.token("token", c.token, true)) return;
  } else {
    f.fail(parse_error::invalid, "role", "must be \"visitor\" or \"agent\"");
    return;
  }
  c.role = *role;
  parse_resume(f, c.resume);  // agents resume their conversations too
}

void parse_send(field_reader& f, client_frame& c, const parse_limits& limits) {
  if (!f.id("id", c.id, true) || !f.id("conv", c.conv, false)) return;
  const std::string* text;
  if (!f.string("text", &text, true)) return;
  if (text->empty()) {
    f.fail(parse_error::invalid, "text", "must not be empty");
    return;
  }
  if (text->size() > limits.max_text_bytes) {
    f.fail(parse_error::too_large, "text",
           "is longer than " + std::to_string(limits.max_text_bytes) + " bytes");
    return;
  }
  c.text = *text;
}

void parse_history(field_reader& f, client_frame& c) {
  if (!f.id("conv", c.conv, true) || !f.uint("before", c.before, false)) return;
  const json* limit = f.find("limit");
  if (!limit) return;  // the default from client_frame
  if (!limit->is_number_unsigned() || limit->get<std::uint64_t>() < 1 ||
      limit->get<std::uint64_t>() > max_history_limit) {
    f.fail(parse_error::invalid, "limit", "must be an integer from 1 to 200");
    return;
  }
  c.limit = static_cast<std::uint32_t>(limit->get<std::uint64_t>());
}

void parse_transfer(field_reader& f, client_frame& c) {
  if (!f.id("conv", c.conv, true)) return;
  const json* to;
  if (!f.object("to", &to, true)) return;
  field_reader t = f.nested(*to, "to");
  if (!t.id("agent", c.to_agent, false) || !t.id("team", c.to_team, false)) return;
  if (c.to_agent.empty() == c.to_team.empty())
    f.fail(parse_error::invalid, "to", "must name exactly one of agent or team");
}

void parse_status(field_reader& f, client_frame& c) {
  const std::string* status;
  if (!f.string("status", &status, true)) return;
  if (*status != "online" && *status != "away") {
    f.fail(parse_error::invalid, "status", "must be \"online\" or \"away\"");
    return;
  }
  c.status = *status;
}

void parse_assist(field_reader& f, client_frame& c) {
  if (!f.id("conv", c.conv, true) || !f.id("id", c.id, false)) return;
  const std::string* kind = nullptr;
  if (f.find("kind") && !f.string("kind", &kind, true)) return;
  c.kind = kind ? *kind : "reply";
  if (c.kind != "reply" && c.kind != "summary")
    f.fail(parse_error::invalid, "kind", "must be \"reply\" or \"summary\"");
}

void parse_body(field_reader& f, client_frame& c, const parse_limits& limits) {
  switch (c.type) {
    case client_type::hello:
      return parse_hello(f, c);
    case client_type::send:
      return parse_send(f, c, limits);
    case client_type::history:
      return parse_history(f, c);
    case client_type::typing:
      if (f.id("conv", c.conv, true)) f.boolean("on", c.on);
      return;
    case client_type::read:
      if (f.id("conv", c.conv, true)) f.uint("seq", c.seq, true);
      return;
    case client_type::accept:
    case client_type::close:
    case client_type::handoff:
      f.id("conv", c.conv, true);
      return;
    case client_type::transfer:
      return parse_transfer(f, c);
    case client_type::status:
      return parse_status(f, c);
    case client_type::assist:
      return parse_assist(f, c);
    case client_type::ping:
      return;
  }
}

parse_result fail(parse_error e, std::string message) {
  parse_result r;
  r.error = e;
  r.message = std::move(message);
  return r;
}

parse_result parse_json_frame(std::string_view text, const parse_limits& limits) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(parse_error::malformed, "the frame is not valid JSON");
  if (!j.is_object()) return fail(parse_error::malformed, "the frame is not a JSON object");

  parse_result r;
  // The ref is read before anything else can fail, so every error about a send can name it.
  auto id = j.find("id");
  if (id != j.end() && id->is_string()) {
    const auto& s = id->get_ref<const std::string&>();
    if (utf8_length(s) <= max_id_chars) r.ref = s;
  }

  auto t = j.find("t");
  if (t == j.end() || !t->is_string()) {
    r.error = parse_error::malformed;
    r.message = "the frame has no string field t";
    return r;
  }
  const auto& name = t->get_ref<const std::string&>();
  const type_name* known = nullptr;
  for (const auto& tn : types) {
    if (tn.name == name) {
      known = &tn;
      break;
    }
  }
  if (!known) {
    r.error = parse_error::unknown_type;
    r.message = "unknown frame type \"";
    r.message.append(utf8_prefix(name, max_echo_bytes)).append("\"");
    return r;
  }
  // Set even when a field is invalid: the transport tells a bad hello from a non-hello.
  r.frame.type = known->type;
  field_reader f(j, known->name, r);
  parse_body(f, r.frame, limits);
  return r;
}

}  // namespace

parse_result parse_client_frame(std::string_view text, const parse_limits& limits) {
  // Checked on the raw bytes, before JSON: nlohmann would only notice invalid UTF-8 inside
  // strings, and its dump() throws on it. Nothing of the frame is trusted, not even its id.
  if (!is_valid_utf8(text)) return fail(parse_error::invalid_utf8, "the frame is not valid UTF-8");
  try {
    return parse_json_frame(text, limits);
  } catch (...) {
    // Only std::bad_alloc can get here (the parser itself reports errors without throwing),
    // and it must not unwind through the I/O thread.
    return fail(parse_error::malformed, "the frame could not be parsed");
  }
}

}  // namespace sb::protocol
