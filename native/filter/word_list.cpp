// Parsing of the word-list syntax described in word_list.h.
#include "filter/word_list.h"

#include <algorithm>
#include <cstdint>

namespace sb::filter {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp;
    int len = decode_utf8(p + i, s.size() - i, true, cp);
    if (len == 1 && p[i] >= 0x80) return false;
    i += static_cast<std::size_t>(len);
  }
  return true;
}

bool parse_verdict(std::string_view s, verdict& v) {
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "mask")
    v = verdict::mask;
  else if (lower == "block")
    v = verdict::block;
  else if (lower == "flag")
    v = verdict::flag;
  else
    return false;
  return true;
}

}  // namespace

bool parse_word_list(std::string_view text, std::vector<word_entry>& out, std::string& error) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::uint32_t line_no = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    line_no++;
    auto at = [line_no] { return "line " + std::to_string(line_no) + ": "; };
    for (std::size_t i = 1; i < line.size(); i++) {  // " # comment" after a word
      if (line[i] == '#' && blank(line[i - 1])) {
        line = line.substr(0, i);
        break;
      }
    }
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (!valid_utf8(line)) {
      error = at() + "not valid UTF-8 (save the list as UTF-8)";
      return false;
    }
    word_entry e;
    e.line = line_no;
    if (line.front() == '!') {
      e.allow = true;
      e.action = verdict::allow;
      line.remove_prefix(1);
    }
    std::size_t bar = line.rfind('|');
    if (bar != std::string_view::npos) {
      std::string_view v = trim(line.substr(bar + 1));
      if (e.allow) {
        error = at() + "an allow-list entry (!) takes no verdict";
        return false;
      }
      if (!parse_verdict(v, e.action)) {
        error = at() + "unknown verdict \"" + std::string(v) + "\" (mask, block or flag)";
        return false;
      }
      line = line.substr(0, bar);
    }
    line = trim(line);
    if (line.empty()) {
      error = at() + "no word";
      return false;
    }
    e.word.assign(line);
    out.push_back(std::move(e));
  }
  return true;
}

}  // namespace sb::filter
