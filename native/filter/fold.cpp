// The folding rules of fold.h, evaluated once per code point up to U+3FFFF into a two-level
// table (identical 256-entry blocks shared), so that the hot path is one indexed load.
#include "filter/fold.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace sb::filter {
namespace {

struct t2s_pair {
  char32_t from, to;
};
constexpr t2s_pair k_t2s[] = {
#include "filter/t2s_table.inc"
};

// Base letter of U+00C0..U+017F (diacritics removed, lower case; × and ÷ are punctuation).
// Made with String.prototype.normalize('NFD'); letters without a decomposition are mapped by
// look (ø -> o, ł -> l, đ -> d, ı -> i) or kept in lower case (æ, þ, ß, œ, ŋ, ĳ, ĸ).
constexpr char32_t k_latin[] =
    U"aaaaaaæceeeeiiiidnooooo×ouuuuyþßaaaaaaæceeeeiiiidnooooo÷ouuuuyþy"
    U"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiĳĳjjkkĸllllllllll"
    U"nnnnnnnŋŋooooooœœrrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(sizeof(k_latin) / sizeof(char32_t) == 0x180 - 0xC0 + 1);

folded w(char32_t cp, bool unspaced = false) { return {cp, char_class::word, unspaced}; }
folded p(char32_t cp) { return {cp, char_class::punct, false}; }
folded s(char32_t cp) { return {cp, char_class::space, false}; }
folded d(char32_t cp) { return {cp, char_class::drop, false}; }

bool in(char32_t cp, char32_t lo, char32_t hi) { return cp >= lo && cp <= hi; }

const t2s_pair* find_t2s(char32_t cp) {
  const t2s_pair* end = k_t2s + sizeof(k_t2s) / sizeof(k_t2s[0]);
  const t2s_pair* it =
      std::lower_bound(k_t2s, end, cp, [](const t2s_pair& e, char32_t c) { return e.from < c; });
  return it != end && it->from == cp ? it : nullptr;
}

folded fold_ascii(char32_t cp) {
  if (cp == ' ' || in(cp, 0x09, 0x0D)) return s(' ');
  if (cp < 0x20 || cp == 0x7F) return d(cp);
  if (in(cp, 'A', 'Z')) return w(cp + 0x20);
  if (in(cp, 'a', 'z') || in(cp, '0', '9')) return w(cp);
  return p(cp);
}

bool unspaced_script(char32_t cp) {
  return in(cp, 0x2E80, 0x2FDF) || in(cp, 0x3005, 0x3007) || in(cp, 0x3021, 0x3029) ||
         in(cp, 0x3031, 0x3035) || in(cp, 0x3038, 0x303C) || in(cp, 0x3040, 0x309F) ||
         in(cp, 0x30A1, 0x30FA) || in(cp, 0x30FC, 0x30FF) || in(cp, 0x3190, 0x319F) ||
         in(cp, 0x31C0, 0x31FF) || in(cp, 0x3400, 0x4DBF) || in(cp, 0x4E00, 0x9FFF) ||
         in(cp, 0xF900, 0xFAFF) || in(cp, 0xFF66, 0xFF9F) || in(cp, 0x20000, 0x3FFFF);
}

bool invisible(char32_t cp) {
  return in(cp, 0x80, 0x9F) || cp == 0xAD || in(cp, 0x300, 0x36F) || in(cp, 0x483, 0x489) ||
         cp == 0x61C || cp == 0x115F || cp == 0x1160 || in(cp, 0x17B4, 0x17B5) ||
         in(cp, 0x180B, 0x180F) || in(cp, 0x1AB0, 0x1AFF) || in(cp, 0x1DC0, 0x1DFF) ||
         in(cp, 0x200B, 0x200F) || in(cp, 0x202A, 0x202E) || in(cp, 0x2060, 0x206F) ||
         in(cp, 0x20D0, 0x20FF) || in(cp, 0x302A, 0x302F) || in(cp, 0x3099, 0x309A) ||
         cp == 0x3164 || in(cp, 0xFE00, 0xFE0F) || in(cp, 0xFE20, 0xFE2F) || cp == 0xFEFF ||
         cp == 0xFFA0 || in(cp, 0xFFF0, 0xFFFB) || in(cp, 0x1F3FB, 0x1F3FF);
}

bool white(char32_t cp) {
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || in(cp, 0x2000, 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool symbol(char32_t cp) {
  return in(cp, 0xA1, 0xBF) || cp == 0xD7 || cp == 0xF7 || in(cp, 0x2010, 0x2027) ||
         in(cp, 0x2030, 0x205E) || in(cp, 0x20A0, 0x20CF) || in(cp, 0x2190, 0x245F) ||
         in(cp, 0x2500, 0x2BFF) || in(cp, 0x2E00, 0x2E7F) || in(cp, 0x3001, 0x3004) ||
         in(cp, 0x3008, 0x3020) || in(cp, 0x3030, 0x3030) || in(cp, 0x3036, 0x3037) ||
         in(cp, 0x303D, 0x303F) || cp == 0x30A0 || cp == 0x30FB || in(cp, 0x4DC0, 0x4DFF) ||
         in(cp, 0xFE10, 0xFE19) || in(cp, 0xFE30, 0xFE6F) || in(cp, 0xFF5F, 0xFF65) ||
         in(cp, 0xFFE0, 0xFFEE) || cp == 0xFFFC || in(cp, 0x1F000, 0x1FBFF);
}

// Letters and digits written in another style (circled, mathematical, squared, superscript) as
// plain ASCII, or 0.
char32_t styled_latin(char32_t cp) {
  if (cp == 0xAA) return 'a';
  if (cp == 0xBA) return 'o';
  if (cp == 0xB9) return '1';
  if (cp == 0xB2 || cp == 0xB3) return '0' + (cp - 0xB0);
  if (in(cp, 0x24B6, 0x24CF)) return 'a' + (cp - 0x24B6);
  if (in(cp, 0x24D0, 0x24E9)) return 'a' + (cp - 0x24D0);
  if (in(cp, 0x1D400, 0x1D6A3)) return 'a' + (cp - 0x1D400) % 52 % 26;  // 52 per style: A-Z a-z
  if (in(cp, 0x1D7CE, 0x1D7FF)) return '0' + (cp - 0x1D7CE) % 10;
  if (in(cp, 0x1F130, 0x1F149)) return 'a' + (cp - 0x1F130);
  if (in(cp, 0x1F150, 0x1F169)) return 'a' + (cp - 0x1F150);
  if (in(cp, 0x1F170, 0x1F189)) return 'a' + (cp - 0x1F170);
  return 0;
}

folded rule(char32_t cp) {
  if (cp < 0x80) return fold_ascii(cp);
  if (in(cp, 0xFF01, 0xFF5E)) return fold_ascii(cp - 0xFEE0);
  if (const t2s_pair* t = find_t2s(cp)) return w(t->to, true);
  if (char32_t styled = styled_latin(cp)) return w(styled);
  if (cp == 0xB5) return w(0x3BC);  // micro sign -> Greek mu
  if (white(cp)) return s(' ');
  if (invisible(cp)) return d(cp);
  if (symbol(cp)) return p(cp);
  if (in(cp, 0xC0, 0x17F)) return w(k_latin[cp - 0xC0]);
  if (in(cp, 0x391, 0x3A1) || in(cp, 0x3A3, 0x3A9)) return w(cp + 0x20);
  if (cp == 0x3C2) return w(0x3C3);
  if (in(cp, 0x400, 0x40F)) return w(cp + 0x50);
  if (in(cp, 0x410, 0x42F)) return w(cp + 0x20);
  return w(cp, unspaced_script(cp));
}

std::uint32_t pack(char32_t cp, folded f) {
  std::int32_t delta = static_cast<std::int32_t>(f.cp) - static_cast<std::int32_t>(cp);
  return (static_cast<std::uint32_t>(delta) & 0x3FFFFF) |
         (static_cast<std::uint32_t>(f.cls) << 22) | (f.unspaced ? 1u << 24 : 0);
}

struct built_table {
  detail::fold_table table;
  std::vector<std::uint32_t> blocks;

  built_table() {
    std::map<std::string, std::uint16_t> seen;  // block contents -> block number
    std::uint32_t block[256];
    for (char32_t hi = 0; hi < (0x40000 >> 8); hi++) {
      for (char32_t lo = 0; lo < 256; lo++) block[lo] = pack((hi << 8) | lo, rule((hi << 8) | lo));
      std::string key(reinterpret_cast<const char*>(block), sizeof(block));
      auto [it, fresh] = seen.emplace(key, static_cast<std::uint16_t>(seen.size()));
      if (fresh) blocks.insert(blocks.end(), block, block + 256);
      table.index[hi] = it->second;
    }
    table.blocks = blocks.data();
  }
};

}  // namespace

namespace detail {

const fold_table& table() {
  static const built_table built;
  return built.table;
}

std::uint32_t entry_high(char32_t cp) {
  if (cp > 0x10FFFF) return pack(cp, w(0xFFFD));
  return pack(cp, rule(cp));
}

}  // namespace detail
}  // namespace sb::filter
