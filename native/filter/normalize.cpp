// The normaliser's slow path: separators and the word character after them, which decides
// what they were (the fast loop for word characters inside a word is in the header).
#include "filter/normalize.h"

#include <algorithm>

namespace sb::filter {

normalizer::normalizer()
    : table_(&detail::table()),
      ascii_(table_->blocks + (static_cast<std::uint32_t>(table_->index[0]) << 8)) {}

void normalizer::finish(unit* buf, std::uint32_t& n) {
  if (await_) {  // the word after the spaced gap is one character: letter spacing
    await_ = false;
    n = add_word(b0_, b0_begin_, b0_end_, true, buf, n);
  }
  gap_ = pending_ = false;  // a trailing gap separates nothing
  open_ = false;
}

std::uint32_t normalizer::add_word(folded f, std::uint32_t begin, std::uint32_t end, bool new_word,
                                   unit* buf, std::uint32_t n) {
  if (open_ && buf[n - 1].cp == f.cp) {
    buf[n - 1].count++;
    buf[n - 1].end = end;
  } else {
    buf[n++] = unit{f.cp, 1, begin, end};
    open_ = true;
  }
  word_len_ = new_word ? 1 : word_len_ + 1;
  return n;
}

std::uint32_t normalizer::boundary(unit* buf, std::uint32_t n) {
  buf[n] = unit{U' ', 1, gap_begin_, gap_end_};
  open_ = false;
  return n + 1;
}

std::uint32_t normalizer::push_slow(folded f, std::uint32_t begin, std::uint32_t end, unit* buf,
                                    std::uint32_t n) {
  if (f.cls == char_class::drop) return n;
  if (await_) return push_awaiting(f, begin, end, buf, n);
  if (f.cls != char_class::word) {
    if (!gap_) {
      gap_lead_ = !open_;  // a run is open after every word character: none before the first
      gap_ = pending_ = true;
      gap_space_ = false;
      gap_begin_ = begin;
    }
    gap_space_ |= f.cls == char_class::space;
    gap_end_ = end;
    return n;
  }
  gap_ = pending_ = false;
  if (gap_lead_) return add_word(f, begin, end, true, buf, n);     // a leading gap
  if (!gap_space_) return add_word(f, begin, end, false, buf, n);  // punctuation in a word
  // The last word character is the open run's.
  if (f.unspaced || fold(*table_, buf[n - 1].cp).unspaced) {
    return add_word(f, begin, end, true, buf, n);
  }
  if (word_len_ != 1) return add_word(f, begin, end, true, buf, boundary(buf, n));
  pending_ = await_ = true;  // one character before the gap: letter spacing if one follows
  b0_ = f;
  b0_begin_ = begin;
  b0_end_ = end;
  gap2_ = false;
  return n;
}

// After "x y": is y a word of its own (the gap goes) or the start of a longer one?
std::uint32_t normalizer::push_awaiting(folded f, std::uint32_t begin, std::uint32_t end, unit* buf,
                                        std::uint32_t n) {
  if (f.cls == char_class::punct) {  // may still be inside y's word ("x y.z")
    if (!gap2_) gap2_begin_ = begin;
    gap2_ = true;
    return n;
  }
  await_ = pending_ = false;
  if (f.cls == char_class::space) {  // y stands alone: the gap goes, a new one starts
    n = add_word(b0_, b0_begin_, b0_end_, true, buf, n);
    gap_ = pending_ = gap_space_ = true;
    gap_lead_ = false;
    gap_begin_ = gap2_ ? gap2_begin_ : begin;
    gap_end_ = end;
    return n;
  }
  n = boundary(buf, n);  // y is the start of a longer word
  n = add_word(b0_, b0_begin_, b0_end_, true, buf, n);
  return add_word(f, begin, end, false, buf, n);
}

void normalize(std::string_view text, normalized_text& out) {
  unit* buf = out.reserve(text.size() + 3);
  normalizer norm;
  std::uint32_t n = 0;
  norm.feed(text, 0, true, buf, n);
  norm.finish(buf, n);
  out.resize(n);
}

normalized_text normalize(std::string_view text) {
  normalized_text out;
  normalize(text, out);
  return out;
}

std::string to_utf8(const normalized_text& text) {
  std::string out;
  for (const unit& u : text) {
    for (std::uint32_t i = 0; i < u.count; i++) {
      char32_t c = u.cp;
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
      } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
  }
  return out;
}

}  // namespace sb::filter
