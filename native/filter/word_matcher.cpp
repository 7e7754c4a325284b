// Applying a compiled word list to a message: scan, let the allow-list cancel the banned
// matches it covers, then mask. The rules here are shared with the stream guard.
#include "filter/word_matcher.h"

#include <algorithm>

namespace sb::filter {

const char* verdict_name(verdict v) {
  switch (v) {
    case verdict::allow:
      return "allow";
    case verdict::flag:
      return "flag";
    case verdict::mask:
      return "mask";
    case verdict::block:
      return "block";
  }
  return "allow";
}

namespace detail {

bool allowed(const match& ban, const std::vector<match>& allows, std::uint32_t max_len) {
  // A cover ends at or after the ban and starts at or before it, so ends before first + max_len.
  auto it = std::lower_bound(allows.begin(), allows.end(), ban.last,
                             [](const match& a, std::uint32_t last) { return a.last < last; });
  for (; it != allows.end() && it->last < ban.first + max_len; ++it) {
    if (it->first <= ban.first) return true;
  }
  return false;
}

void append_masked(std::string& out, std::string_view bytes, std::uint32_t base, std::uint32_t from,
                   std::uint32_t to, const std::vector<byte_span>& masks) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::uint32_t pos = from;
  for (const byte_span& m : masks) {
    if (m.end <= pos) continue;
    if (m.begin >= to) break;
    std::uint32_t b = std::max(m.begin, pos), e = std::min(m.end, to);
    out.append(bytes.data() + (pos - base), b - pos);
    while (b < e) {
      char32_t cp;
      b += static_cast<std::uint32_t>(decode_utf8(p + (b - base), e - b, true, cp));
      out += '*';
    }
    pos = e;
  }
  out.append(bytes.data() + (pos - base), to - pos);
}

}  // namespace detail

namespace {

struct scratch {
  normalized_text text;
  std::vector<match> bans, allows;
};

// Normalises and scans `text` into the calling thread's buffers, the automaton stepping over
// each unit as soon as it is final (while it is in cache, and overlapping the normaliser).
scratch& scan_into(const word_matcher& m, std::string_view text) {
  thread_local scratch local;
  scratch& s = local;
  s.bans.clear();
  s.allows.clear();
  unit* buf = s.text.reserve(text.size() + 3);
  struct automaton {
    const word_matcher& m;
    scratch& s;
    std::uint32_t state = 0, next = 0;
    void upto(const unit* units, std::uint32_t stable) {
      for (; next < stable; next++) {
        state = m.step(state, units[next].cp);
        if (m.has_output(state)) {
          m.report(
              state, next, [units](std::uint32_t k) { return units[k].count; },
              [this](const match& x) { (x.allow ? s.allows : s.bans).push_back(x); });
        }
      }
    }
  } sink{m, s};
  normalizer norm;
  std::uint32_t n = 0;
  norm.feed(text, 0, true, buf, n, sink);
  norm.finish(buf, n);
  sink.upto(buf, n);
  s.text.resize(n);
  return s;
}

}  // namespace

filter_result word_matcher::apply(std::string_view text) const {
  scratch& s = scan_into(*this, text);
  filter_result r;
  std::vector<detail::byte_span> masks;
  for (const match& b : s.bans) {
    if (!s.allows.empty() && detail::allowed(b, s.allows, max_len_)) continue;
    detail::byte_span span{s.text[b.first].begin, s.text[b.last].end};
    r.words.push_back(matched_word{b.entry, b.action, span.begin, span.end});
    r.action = std::max(r.action, b.action);
    if (b.action != verdict::flag) masks.push_back(span);
  }
  if (masks.empty()) {
    r.masked.assign(text);
    return r;
  }
  std::sort(masks.begin(), masks.end(), [](const detail::byte_span& a, const detail::byte_span& b) {
    return a.begin < b.begin;
  });
  r.masked.reserve(text.size());
  detail::append_masked(r.masked, text, 0, 0, static_cast<std::uint32_t>(text.size()), masks);
  return r;
}

verdict word_matcher::check(std::string_view text) const {
  scratch& s = scan_into(*this, text);
  verdict v = verdict::allow;
  for (const match& b : s.bans) {
    if (b.action <= v) continue;
    if (!s.allows.empty() && detail::allowed(b, s.allows, max_len_)) continue;
    v = b.action;
  }
  return v;
}

std::uint32_t word_matcher::code_high(char32_t cp) const {
  auto it = std::lower_bound(
      high_codes_.begin(), high_codes_.end(), cp,
      [](const std::pair<char32_t, std::uint16_t>& e, char32_t c) { return e.first < c; });
  return it != high_codes_.end() && it->first == cp ? it->second : 0;
}

std::size_t word_matcher::memory_bytes() const {
  std::size_t n = sizeof(*this) + nodes_.capacity() * sizeof(node) + depth_.capacity() +
                  out_.capacity() * sizeof(std::uint32_t) +
                  bmp_codes_.capacity() * sizeof(std::uint16_t) +
                  high_codes_.capacity() * sizeof(high_codes_[0]) +
                  patterns_.capacity() * sizeof(pattern) + counts_.capacity() +
                  outputs_.capacity() * sizeof(output) + entries_.capacity() * sizeof(word_entry);
  for (const word_entry& e : entries_) n += e.word.capacity() > 15 ? e.word.capacity() : 0;
  return n;
}

}  // namespace sb::filter
