// Protocol v1 client frame parsing: UTF-8 first, then JSON, then per-type field validation.
#include "protocol/client_frame.h"

#include <nlohmann/json.hpp>

#include "protocol/utf8.h"

namespace sb::protocol {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_id = 64;
constexpr std::size_t max_profile_field = 512;

struct type_name {
  const char* name;
  client_type type;
};
constexpr type_name types[] = {
    {"hello", client_type::hello},       {"send", client_type::send},
    {"history", client_type::history},   {"typing", client_type::typing},
    {"read", client_type::read},         {"accept", client_type::accept},
    {"transfer", client_type::transfer}, {"close", client_type::close},
    {"handoff", client_type::handoff},   {"status", client_type::status},
    {"ping", client_type::ping},
};

/** Validation context: records the first error and names the field as "<t>.<field>". */
struct checker {
  const json& j;
  const std::string& t;
  parse_result& r;

  bool fail(parse_error e, const std::string& field, const char* what) {
    if (r.error == parse_error::none) {
      r.error = e;
      r.message = t + "." + field + " " + what;
    }
    return false;
  }

  /** Optional string; `required` makes absence an error. */
  bool str(const char* field, std::string& out, bool required, std::size_t min_len,
           std::size_t max_len) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) {
      return required ? fail(parse_error::invalid, field, "is required") : true;
    }
    if (!it->is_string()) return fail(parse_error::invalid, field, "must be a string");
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() < min_len) return fail(parse_error::invalid, field, "must not be empty");
    if (s.size() > max_len) {
      std::string what = "must be at most " + std::to_string(max_len) + " bytes";
      return fail(parse_error::invalid, field, what.c_str());
    }
    out = s;
    return true;
  }

  bool uint(const char* field, std::uint64_t& out, bool required) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null())
      return required ? fail(parse_error::invalid, field, "is required") : true;
    if (it->is_number_unsigned()) {
      out = it->get<std::uint64_t>();
      return true;
    }
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0) {
      out = static_cast<std::uint64_t>(it->get<std::int64_t>());
      return true;
    }
    return fail(parse_error::invalid, field, "must be a non-negative integer");
  }

  bool boolean(const char* field, bool& out) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_boolean())
      return fail(parse_error::invalid, field, "must be a boolean");
    out = it->get<bool>();
    return true;
  }
};

/** Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence. */
std::string truncate_utf8(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) cut--;
  return s.substr(0, cut);
}

void parse_hello(checker& c, client_frame& f) {
  if (!c.str("role", f.role, true, 1, 16)) return;
  if (f.role != "visitor" && f.role != "agent") {
    c.fail(parse_error::invalid, "role", "must be \"visitor\" or \"agent\"");
    return;
  }
  if (f.role == "agent") {
    c.str("token", f.token, true, 1, 1024);
  } else {
    if (!c.str("site", f.site, true, 1, 64)) return;
    if (!c.str("visitorToken", f.visitor_token, false, 0, 1024)) return;
    auto p = c.j.find("profile");
    if (p != c.j.end() && !p->is_null()) {
      if (!p->is_object()) {
        c.fail(parse_error::invalid, "profile", "must be an object");
        return;
      }
      auto take = [&](const char* key, std::string& out) {
        auto it = p->find(key);
        if (it != p->end() && it->is_string())
          out = truncate_utf8(it->get_ref<const std::string&>(), max_profile_field);
      };
      take("name", f.profile.name);
      take("email", f.profile.email);
      take("lang", f.profile.lang);
      take("page", f.profile.page);
      take("referrer", f.profile.referrer);
    }
  }
  auto res = c.j.find("resume");
  if (res != c.j.end() && !res->is_null()) {
    if (!res->is_object()) {
      c.fail(parse_error::invalid, "resume", "must be an object");
      return;
    }
    resume_point rp;
    checker inner{*res, c.t, c.r};
    std::string tmp;
    if (!inner.str("conv", rp.conv, true, 1, max_id)) return;
    if (!inner.uint("after", rp.after, false)) return;
    f.resume = rp;
  }
}

void parse_body(checker& c, client_frame& f, const parse_limits& limits) {
  switch (f.type) {
    case client_type::hello:
      parse_hello(c, f);
      break;
    case client_type::send: {
      if (!c.str("id", f.id, true, 1, max_id)) return;
      if (!c.str("conv", f.conv, false, 0, max_id)) return;
      auto it = c.j.find("text");
      if (it == c.j.end() || !it->is_string()) {
        c.fail(parse_error::invalid, "text", "must be a string");
        return;
      }
      const auto& text = it->get_ref<const std::string&>();
      if (text.empty()) {
        c.fail(parse_error::invalid, "text", "must not be empty");
        return;
      }
      if (text.size() > limits.max_text_bytes) {
        std::string what = "is longer than " + std::to_string(limits.max_text_bytes) + " bytes";
        c.fail(parse_error::too_large, "text", what.c_str());
        return;
      }
      f.text = text;
      break;
    }
    case client_type::history: {
      if (!c.str("conv", f.conv, true, 1, max_id)) return;
      if (!c.uint("before", f.before, false)) return;
      std::uint64_t limit = 50;
      if (!c.uint("limit", limit, false)) return;
      if (limit < 1 || limit > 200) {
        c.fail(parse_error::invalid, "limit", "must be between 1 and 200");
        return;
      }
      f.limit = static_cast<std::uint32_t>(limit);
      break;
    }
    case client_type::typing:
      if (!c.str("conv", f.conv, true, 1, max_id)) return;
      c.boolean("on", f.on);
      break;
    case client_type::read:
      if (!c.str("conv", f.conv, true, 1, max_id)) return;
      c.uint("seq", f.seq, true);
      break;
    case client_type::accept:
    case client_type::close:
    case client_type::handoff:
      c.str("conv", f.conv, true, 1, max_id);
      break;
    case client_type::transfer: {
      if (!c.str("conv", f.conv, true, 1, max_id)) return;
      auto to = c.j.find("to");
      if (to == c.j.end() || !to->is_object()) {
        c.fail(parse_error::invalid, "to", "must be {\"agent\":id} or {\"team\":id}");
        return;
      }
      checker inner{*to, c.t, c.r};
      if (!inner.str("agent", f.to_agent, false, 1, max_id)) return;
      if (!inner.str("team", f.to_team, false, 1, max_id)) return;
      if (f.to_agent.empty() == f.to_team.empty())
        c.fail(parse_error::invalid, "to", "must name exactly one of agent or team");
      break;
    }
    case client_type::status:
      if (!c.str("status", f.status, true, 1, 16)) return;
      if (f.status != "online" && f.status != "away")
        c.fail(parse_error::invalid, "status", "must be \"online\" or \"away\"");
      break;
    case client_type::ping:
      break;
  }
}

}  // namespace

parse_result parse_client_frame(std::string_view text, const parse_limits& limits) {
  parse_result r;
  if (!is_valid_utf8(text)) {
    r.error = parse_error::invalid_utf8;
    r.message = "the frame is not valid UTF-8";
    return r;
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    r.error = parse_error::malformed;
    r.message = "the frame is not a JSON object";
    return r;
  }
  auto tit = j.find("t");
  if (tit == j.end() || !tit->is_string()) {
    r.error = parse_error::malformed;
    r.message = "the frame has no string field t";
    return r;
  }
  auto idit = j.find("id");
  if (idit != j.end() && idit->is_string() && idit->get_ref<const std::string&>().size() <= max_id)
    r.ref = idit->get<std::string>();
  const auto& t = tit->get_ref<const std::string&>();
  bool known = false;
  for (const auto& tn : types) {
    if (t == tn.name) {
      r.frame.type = tn.type;
      known = true;
      break;
    }
  }
  if (!known) {
    r.error = parse_error::unknown_type;
    r.message = "unknown frame type";
    return r;
  }
  checker c{j, t, r};
  parse_body(c, r.frame, limits);
  return r;
}

}  // namespace sb::protocol
