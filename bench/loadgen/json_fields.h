// json_fields.h — a minimal scanner over the top-level members of one JSON object, enough to
// read the server frames the bench cares about (t, id, conv, seq, state, text) without a
// JSON library; nested values are skipped, string escapes are left as they are.
#pragma once

#include <cstdint>
#include <string_view>

namespace loadgen {

struct frame_fields {
  std::string_view t, id, conv, state, text, code, message;
  int64_t seq = -1;
};

namespace json_detail {
inline size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}
// s[i] == '"'; returns the index just past the closing quote, or npos.
inline size_t skip_string(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '"') return i + 1;
  }
  return std::string_view::npos;
}
// Skips any value starting at i; returns the index past it, or npos.
inline size_t skip_value(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (; i < s.size(); ++i) {
      char ch = s[i];
      if (ch == '"') {
        i = skip_string(s, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (ch == '{' || ch == '[') {
        ++depth;
      } else if (ch == '}' || ch == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return std::string_view::npos;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\n') ++i;
  return i;
}
}  // namespace json_detail

// Fills `f` from the top-level members of `s`. Returns false if `s` is not a JSON object.
inline bool parse_frame_fields(std::string_view s, frame_fields& f) {
  using namespace json_detail;
  size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '{') return false;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == '}') return true;
  for (int guard = 0; guard < 256; ++guard) {
    if (i >= s.size() || s[i] != '"') return false;
    size_t kend = skip_string(s, i);
    if (kend == std::string_view::npos) return false;
    std::string_view key = s.substr(i + 1, kend - i - 2);
    i = skip_ws(s, kend);
    if (i >= s.size() || s[i] != ':') return false;
    i = skip_ws(s, i + 1);
    size_t vend = skip_value(s, i);
    if (vend == std::string_view::npos) return false;
    std::string_view raw = s.substr(i, vend - i);
    bool is_str = !raw.empty() && raw[0] == '"';
    std::string_view str = is_str ? raw.substr(1, raw.size() - 2) : std::string_view{};
    if (key == "t") f.t = str;
    else if (key == "id") f.id = str;
    else if (key == "conv") f.conv = str;
    else if (key == "state") f.state = str;
    else if (key == "text") f.text = str;
    else if (key == "code") f.code = str;
    else if (key == "message") f.message = str;
    else if (key == "seq" && !is_str) {
      int64_t v = 0;
      for (char ch : raw) {
        if (ch < '0' || ch > '9') break;
        v = v * 10 + (ch - '0');
      }
      f.seq = v;
    }
    i = skip_ws(s, vend);
    if (i < s.size() && s[i] == ',') {
      i = skip_ws(s, i + 1);
      continue;
    }
    return i < s.size() && s[i] == '}';
  }
  return false;
}

}  // namespace loadgen
