// Per-code-point folding for the sensitive-word filter: what a code point becomes (case,
// full-width, diacritics, traditional Chinese) and what it is (word character, punctuation,
// space, or invisible). One lookup in a two-level table built once per process.
#pragma once

#include <cstdint>

namespace sb::filter {

enum class char_class : std::uint8_t {
  word,   // letters, digits, ideographs, anything not listed below; U+FFFD
  punct,  // punctuation and symbols (also emoji): a separator that does not end a word
  space,  // white space: a separator that may end a word
  drop,   // invisible (zero-width, format, combining marks, variation selectors, controls)
};

struct folded {
  char32_t cp;     // the folded code point
  char_class cls;  // class of the original code point
  bool unspaced;   // a script written without spaces between words (Han, kana)
};

/** The folding of `cp`:
 *  - ASCII and Latin-1/Latin Extended-A letters: lower case, diacritics removed (É -> e,
 *    ł -> l); Greek and Cyrillic capitals: lower case; ſ -> s, ς -> σ.
 *  - Full-width ASCII (U+FF01-FF5E) -> ASCII, U+3000 -> space; circled, mathematical and
 *    squared Latin letters -> a-z; superscript/mathematical digits -> 0-9.
 *  - Traditional Chinese, Taiwan/Hong Kong variants and CJK compatibility ideographs ->
 *    simplified (t2s_table.inc, from OpenCC, Apache-2.0).
 *  Code points above U+10FFFF fold to U+FFFD. */
folded fold(char32_t cp);

namespace detail {
struct fold_table {
  std::uint16_t index[0x40000 >> 8];  // block of each 256 code points, up to U+3FFFF
  const std::uint32_t* blocks;        // 256 entries per block
};
const fold_table& table();
// Entry layout: bits 0-21 signed delta to the folded code point, 22-23 class, 24 unspaced.
constexpr std::uint32_t k_class_bits = 3u << 22;  // zero for char_class::word
inline char32_t folded_cp(char32_t cp, std::uint32_t v) {
  return static_cast<char32_t>(static_cast<std::int32_t>(cp) +
                               (static_cast<std::int32_t>(v << 10) >> 10));
}
inline folded unpack(char32_t cp, std::uint32_t v) {
  return {folded_cp(cp, v), static_cast<char_class>((v >> 22) & 3), ((v >> 24) & 1) != 0};
}
std::uint32_t entry_high(char32_t cp);  // U+40000 and above
/** The table entry of `cp`. */
inline std::uint32_t entry(const fold_table& t, char32_t cp) {
  if (cp >= 0x40000) return entry_high(cp);
  return t.blocks[(static_cast<std::uint32_t>(t.index[cp >> 8]) << 8) | (cp & 0xFF)];
}
}  // namespace detail

/** fold() with the table already at hand, for loops. */
inline folded fold(const detail::fold_table& t, char32_t cp) {
  return detail::unpack(cp, detail::entry(t, cp));
}

inline folded fold(char32_t cp) { return fold(detail::table(), cp); }

}  // namespace sb::filter
