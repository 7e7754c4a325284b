// Normalisation of text for the sensitive-word filter: UTF-8 decoding (invalid bytes become
// U+FFFD), folding (fold.h), removal of invisible characters and of separators inside words,
// and runs of a repeated character as one unit that remembers its length. Every unit keeps the
// byte range it came from, so that a match maps back to a span of the original text.
//
// Separators (punctuation, symbols and white space between two word characters):
//  - punctuation/symbols only ("f.u.c.k", "fu-ck", "sh*t", "法*轮*功"): removed;
//  - with white space: removed when a neighbouring word character is Han or kana (those scripts
//    put no spaces between words: "法 轮 功"), or when the words on both sides are one character
//    long ("f u c k", "f. u. c. k": letter spacing; punctuation does not split a word);
//    otherwise a word boundary, one ' ' unit ("was sad" stays two words, so "ass" is not found
//    in it; "a hole" is not "ahole");
//  - at the start or end of the text: dropped.
// Invisible characters (zero-width, format, combining marks, controls) are dropped anywhere.
//
// Repeats: consecutive equal code points (after folding and separator removal) form one unit
// with a count. The matcher accepts a pattern character where the text has it the same number
// of times or three times or more ("fuuuck" is "fuck", but "good" is not "god").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filter/fold.h"

namespace sb::filter {

/** Decodes the code point at p (avail > 0 bytes) into cp and returns its length (1-4). An
 *  invalid or truncated sequence gives U+FFFD for its first byte only (length 1). Unless
 *  `at_end`, a valid but incomplete sequence returns 0: more bytes are needed to decide. */
inline int decode_utf8(const unsigned char* p, std::size_t avail, bool at_end, char32_t& cp) {
  unsigned char c = p[0];
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if ((c & 0xF0) == 0xE0 && avail >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
    cp = (static_cast<char32_t>(c & 0x0F) << 12) | (static_cast<char32_t>(p[1] & 0x3F) << 6) |
         (p[2] & 0x3F);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return 3;  // else: overlong, surrogate
  }
  int len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    cp = 0xFFFD;
    return 1;
  }
  for (int i = 1; i < len; i++) {
    if (static_cast<std::size_t>(i) >= avail) {
      if (at_end) break;
      return 0;
    }
    unsigned char b = p[i];
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) break;
    cp = (cp << 6) | (b & 0x3F);
    if (i == len - 1) return len;
  }
  cp = 0xFFFD;
  return 1;
}

/** A run of one normalised code point: `count` consecutive occurrences that came from bytes
 *  [begin, end) of the original (separators and invisible characters inside included). A word
 *  boundary is a unit ' ' covering the separators. Offsets are 32-bit: texts below 4 GiB. */
struct unit {
  char32_t cp;
  std::uint32_t count;
  std::uint32_t begin;
  std::uint32_t end;
};

/** The units of a normalised text; the buffer is kept from one normalize() to the next. */
class normalized_text {
 public:
  const unit* begin() const { return data_.get(); }
  const unit* end() const { return data_.get() + size_; }
  const unit* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const unit& operator[](std::size_t i) const { return data_[i]; }

  /** Room for `n` units, for a normaliser to write into; then resize() to what it wrote. */
  unit* reserve(std::size_t n) {
    if (capacity_ < n) {
      capacity_ = n > 2 * capacity_ ? n : 2 * capacity_;
      data_.reset(new unit[capacity_]);
    }
    size_ = 0;
    return data_.get();
  }
  void resize(std::size_t n) { size_ = n; }

 private:
  std::unique_ptr<unit[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

/** The normaliser as a state machine over the bytes of a text fed in pieces. It appends units
 *  to a buffer of the caller's; the last one may be an open run (open()) that more input can
 *  lengthen, every one before it is final: feeding a text in pieces yields exactly the units of
 *  feeding it whole. */
class normalizer {
 public:
  normalizer();

  /** Decodes and normalises `bytes` (at offset `base` of the original) as far as complete code
   *  points go, appending units at buf[n] (room for bytes.size() + 2 more needed). Returns the
   *  number of bytes consumed: all when `at_end`, else up to a split UTF-8 sequence. */
  std::size_t feed(std::string_view bytes, std::uint32_t base, bool at_end, unit* buf,
                   std::uint32_t& n) {
    struct none {
      void upto(const unit*, std::uint32_t) {}
    } sink;
    return feed(bytes, base, at_end, buf, n, sink);
  }

  /** feed() that also calls sink.upto(buf, k) as soon as units [0, k) are final, so that a
   *  consumer can work through them while they are hot (the automaton, in word_matcher). */
  template <class Sink>
  std::size_t feed(std::string_view bytes, std::uint32_t base, bool at_end, unit* buf,
                   std::uint32_t& count, Sink& sink) {
    const detail::fold_table& t = *table_;
    const auto* const p = reinterpret_cast<const unsigned char*>(bytes.data());
    const unsigned char *q = p, *const stop = p + bytes.size();
    unit* w = buf + count;  // where the next unit goes
    unit* last = open_ ? w - 1 : &closed_;
    while (q < stop) {
      char32_t cp = *q;
      const auto at = base + static_cast<std::uint32_t>(q - p);
      std::uint32_t v;
      if (cp < 0x80) {
        v = ascii_[cp];
        q++;
      } else {
        int k = decode_utf8(q, static_cast<std::size_t>(stop - q), at_end, cp);
        if (k == 0) break;
        q += k;
        v = detail::entry(t, cp);
      }
      const auto after = base + static_cast<std::uint32_t>(q - p);
      const std::uint32_t cls = v & detail::k_class_bits;
      if (cls == 0) {  // a word character
        if (pending_) {
          if (!gap_ || gap_space_ || gap_lead_) goto slow;  // white space: it depends
          gap_ = pending_ = false;  // punctuation inside a word ("f.u.c.k", "好，我"): removed
        }
        char32_t c = detail::folded_cp(cp, v);
        if (c == last->cp) {
          last->count++;
          last->end = after;
        } else {
          sink.upto(buf, static_cast<std::uint32_t>(w - buf));  // the run before is over
          last = w++;
          *last = unit{c, 1, at, after};
        }
        word_len_++;
        continue;
      }
      if (cls == k_drop) continue;  // invisible: as if not there
      if (!pending_) {
        if (cp == ' ' && q < stop && *q < 0x80 && (ascii_[*q] & detail::k_class_bits) == 0 &&
            last->cp < 0x80 && word_len_ > 1) {
          // "word word" in Latin script: a boundary, as push_slow() would decide
          sink.upto(buf, static_cast<std::uint32_t>(w - buf));
          *w++ = unit{U' ', 1, at, after};
          last = &closed_;
          word_len_ = 0;
          continue;
        }
        gap_ = pending_ = true;  // a gap starts: decided by the word character after it
        gap_space_ = cls == k_space;
        gap_lead_ = last == &closed_;  // a run is open after every word character
        gap_begin_ = at;
        gap_end_ = after;
        continue;
      }
      if (gap_) {
        gap_space_ |= cls == k_space;
        gap_end_ = after;
        continue;
      }
    slow:
      open_ = last != &closed_;
      std::uint32_t n =
          push_slow(detail::unpack(cp, v), at, after, buf, static_cast<std::uint32_t>(w - buf));
      w = buf + n;
      last = open_ ? w - 1 : &closed_;
      sink.upto(buf, open_ ? n - 1 : n);
    }
    open_ = last != &closed_;
    count = static_cast<std::uint32_t>(w - buf);
    return static_cast<std::size_t>(q - p);
  }

  /** End of text: decides what was pending (room for one more unit needed). */
  void finish(unit* buf, std::uint32_t& n);

  /** True when buf[n - 1] is a run that more input may lengthen. */
  bool open() const { return open_; }
  /** The first byte of a word character held back to decide the gap before it, or `none`. */
  static constexpr std::uint32_t none = 0xFFFFFFFF;
  std::uint32_t held_word_begin() const { return await_ ? b0_begin_ : none; }

 private:
  // Each returns the new number of units.
  std::uint32_t push_slow(folded f, std::uint32_t begin, std::uint32_t end, unit* buf,
                          std::uint32_t n);
  std::uint32_t push_awaiting(folded f, std::uint32_t begin, std::uint32_t end, unit* buf,
                              std::uint32_t n);
  std::uint32_t add_word(folded f, std::uint32_t begin, std::uint32_t end, bool new_word, unit* buf,
                         std::uint32_t n);
  std::uint32_t boundary(unit* buf, std::uint32_t n);

  static constexpr std::uint32_t k_space = static_cast<std::uint32_t>(char_class::space) << 22;
  static constexpr std::uint32_t k_drop = static_cast<std::uint32_t>(char_class::drop) << 22;
  const detail::fold_table* table_;
  const std::uint32_t* ascii_;        // the table's entries of U+0000-007F
  unit closed_{0xFFFFFFFF, 0, 0, 0};  // stands for the last unit when no run is open
  bool open_ = false;
  std::uint32_t word_len_ = 0;  // word characters since the last white space
  bool pending_ = false;        // gap_ || await_: the next word character takes the slow path
  bool gap_ = false, gap_space_ = false, gap_lead_ = false;
  std::uint32_t gap_begin_ = 0, gap_end_ = 0;
  bool await_ = false;  // b0_ is the first word character after a spaced gap
  folded b0_{};
  std::uint32_t b0_begin_ = 0, b0_end_ = 0;
  bool gap2_ = false;  // punctuation after b0_
  std::uint32_t gap2_begin_ = 0;
};

/** Normalises a whole text into `out` (its buffer reused). */
void normalize(std::string_view text, normalized_text& out);
normalized_text normalize(std::string_view text);

/** The normalised text as UTF-8, each unit written `count` times (for tests and logs). */
std::string to_utf8(const normalized_text& text);

}  // namespace sb::filter
