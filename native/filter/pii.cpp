// The personal-data scanner: e-mails first (anchored on '@'), then digit clusters parsed into
// groups and classified span by span; masking; the streaming hold-back. The rules are in pii.h.
#include "filter/pii.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace sb::filter {
namespace {

using uchar = unsigned char;
constexpr std::size_t npos = std::string_view::npos;
constexpr char32_t k_bad = 0xFFFD;  // an invalid byte: never a letter, digit or separator

// ---- UTF-8 ------------------------------------------------------------------------------

struct cp {
  char32_t c;    // full-width ASCII forms, U+3000 and U+00A0 folded to ASCII
  unsigned len;  // bytes; an invalid or truncated sequence takes one byte
};

char32_t fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
  if (c == 0x3000 || c == 0xA0) return ' ';
  return c;
}

cp decode_multi(std::string_view s, std::size_t i) {
  const uchar b0 = s[i];
  unsigned len;
  char32_t c, min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, c = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, c = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, c = b0 & 0x07, min = 0x10000;
  } else {
    return {k_bad, 1};
  }
  if (s.size() - i < len) return {k_bad, 1};
  for (unsigned k = 1; k < len; k++) {
    const uchar b = s[i + k];
    if ((b & 0xC0) != 0x80) return {k_bad, 1};
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {k_bad, 1};
  return {fold(c), len};
}

inline cp decode(std::string_view s, std::size_t i) {
  const uchar b0 = s[i];
  return b0 < 0x80 ? cp{b0, 1} : decode_multi(s, i);
}

// The code point ending at boundary i > 0, as forward decoding from any boundary sees it: every
// byte that is not a continuation byte starts a code point there.
cp decode_before(std::string_view s, std::size_t i) {
  std::size_t j = i - 1;
  const std::size_t stop = i >= 4 ? i - 4 : 0;
  while (j > stop && (uchar(s[j]) & 0xC0) == 0x80) j--;
  const cp r = decode(s, j);
  return r.len == i - j ? r : cp{k_bad, 1};
}

// ---- Character classes (of folded code points) -------------------------------------------

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_alpha(char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_alnum(char32_t c) { return is_digit(c) || is_alpha(c); }
bool is_word(char32_t c) { return is_alnum(c) || c == '_'; }

// A letter outside ASCII, for IDN labels: not punctuation, symbols, private use or emoji.
bool is_uletter(char32_t c) {
  if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == k_bad) return false;
  if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x2E00 && c <= 0x2E7F)) return false;
  if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xE000 && c <= 0xF8FF)) return false;
  if ((c >= 0xFE10 && c <= 0xFE6F) || (c >= 0xFF00 && c <= 0xFFFF)) return false;
  return c < 0x1F000 || c > 0x1FAFF;
}

// Scripts written without spaces between words (CJK, Thai, Lao, Myanmar, Khmer): their text
// runs straight into an address or a number.
bool is_unspaced(char32_t c) {
  return (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
         (c >= 0x1780 && c <= 0x17FF) || (c >= 0x2E80 && c <= 0x2FFF) ||
         (c >= 0x3040 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

// Local parts: ASCII letters, digits, . + - _ and other letters of scripts with spaces.
bool is_local(char32_t c) {
  return is_word(c) || c == '.' || c == '+' || c == '-' || (is_uletter(c) && !is_unspaced(c));
}

// ---- E-mail -------------------------------------------------------------------------------

constexpr std::size_t k_local_max = 64;    // code points
constexpr std::size_t k_domain_max = 253;  // code points after '@', dots included
constexpr std::size_t k_label_max = 63;

// Start of the local part before '@' at `at`: the run of local characters, leading dots
// dropped; none if empty, longer than 64 or reaching back before `floor` (a previous address).
std::size_t local_begin(std::string_view s, std::size_t at, std::size_t floor) {
  std::size_t i = at, count = 0;
  while (i > 0) {
    const cp c = decode_before(s, i);
    if (!is_local(c.c)) break;
    if (++count > k_local_max) return npos;
    i -= c.len;
  }
  if (i < floor) return npos;
  for (cp c = decode(s, i); i < at && c.c == '.'; c = decode(s, i)) i += c.len;
  return i < at ? i : npos;
}

// End of the domain starting at `i` (just after '@'), or npos; see pii.h.
std::size_t domain_end(std::string_view s, std::size_t i) {
  std::size_t budget = k_domain_max, best = npos;
  for (int labels = 1;; labels++) {
    std::size_t count = 0;
    bool ascii = false, cjk = false, all_alpha = true, all_u = true, split = false;
    char32_t last = 0;
    while (i < s.size() && budget > 0) {
      const cp c = decode(s, i);
      const bool a = is_alnum(c.c) || c.c == '-';
      const bool u = !a && is_uletter(c.c);
      if (!a && !u) break;
      const bool k = u && is_unspaced(c.c);
      if (count > 0 && ((k && ascii) || (a && cjk))) {
        split = true;
        break;
      }
      if (count == 0 && c.c == '-') return best;
      ascii |= a, cjk |= k, all_alpha &= is_alpha(c.c), all_u &= u;
      last = c.c, count++, budget--, i += c.len;
    }
    if (count == 0 || count > k_label_max || last == '-') return best;
    if (labels >= 2 && count >= 2 && (all_alpha || all_u)) best = i;
    if (split || i >= s.size() || budget < 2) return best;
    const cp dot = decode(s, i);
    if (dot.c != '.') return best;
    i += dot.len, budget--;
  }
}

// Next '@' or '＠' (EF BC A0) at or after `from`, or s.size().
std::size_t next_ascii_at(std::string_view s, std::size_t from) {
  const void* p = from < s.size() ? std::memchr(s.data() + from, '@', s.size() - from) : nullptr;
  return p ? static_cast<std::size_t>(static_cast<const char*>(p) - s.data()) : s.size();
}
std::size_t next_wide_at(std::string_view s, std::size_t from) {
  while (from + 3 <= s.size()) {
    const void* p = std::memchr(s.data() + from, 0xEF, s.size() - from - 2);
    if (!p) break;
    const std::size_t k = static_cast<const char*>(p) - s.data();
    if (uchar(s[k + 1]) == 0xBC && uchar(s[k + 2]) == 0xA0) return k;
    from = k + 1;
  }
  return s.size();
}

void find_emails(std::string_view s, std::vector<pii_match>& out) {
  std::size_t ascii = next_ascii_at(s, 0), wide = next_wide_at(s, 0), floor = 0;
  while (ascii < s.size() || wide < s.size()) {
    const std::size_t at = std::min(ascii, wide);
    const std::size_t after = at + (at == ascii ? 1 : 3);
    const std::size_t b = local_begin(s, at, floor);
    const std::size_t e = b == npos ? npos : domain_end(s, after);
    const std::size_t next = e == npos ? after : e;
    if (e != npos) {
      out.push_back({b, e, pii_kind::email});
      floor = e;
    }
    if (ascii < next) ascii = next_ascii_at(s, next);
    if (wide < next) wide = next_wide_at(s, next);
  }
}

// ---- Digit clusters -----------------------------------------------------------------------

constexpr int k_max_items = 32;  // a longer cluster is cut there (only pathological text)
constexpr int k_max_digits = 19;

// No default member initialisers: a cluster on the stack costs nothing until a digit shows up.
struct item {
  std::size_t begin, end;  // bytes, with any '+' and parentheses
  int ndig;                // digits; k_max_digits + 1 for any longer group
  char joint;              // what joins it to the previous item: ' ', '-', '.' or 0
  bool paren, plus;
};

struct cluster {
  item items[k_max_items];
  char dig[k_max_items][k_max_digits];
  int n;
  bool glued;         // the last item touches a word
  std::size_t x_end;  // the last group is followed by a check character X ending here
};

// After a match candidate ending at q: a word, '-' then a letter or digit, '.' then a digit.
bool glued_at(std::string_view s, std::size_t q) {
  if (q >= s.size()) return false;
  const cp c = decode(s, q);
  if (is_word(c.c)) return true;
  if ((c.c != '-' && c.c != '.') || q + c.len >= s.size()) return false;
  const char32_t d = decode(s, q + c.len).c;
  return c.c == '-' ? is_alnum(d) : is_digit(d);
}

bool left_boundary(std::string_view s, std::size_t i) {
  if (i == 0) return true;
  const cp p = decode_before(s, i);
  if (is_word(p.c)) return false;
  if ((p.c != '-' && p.c != '.') || i == p.len) return true;
  const char32_t pp = decode_before(s, i - p.len).c;
  return p.c == '-' ? !is_alnum(pp) : !is_digit(pp);
}

// A digit group ('+' allowed first) or "(" ["+" first] 1-5 digits ")" at i; returns its end,
// or i if there is none. Never reads at or past `limit`.
std::size_t parse_item(std::string_view s, std::size_t i, std::size_t limit, bool first, item& it,
                       char* dig) {
  it = item{};
  it.begin = i;
  std::size_t p = i;
  cp c = decode(s, p);
  if (c.c == '(') {
    it.paren = true, p += c.len;
    if (p >= limit) return i;
    c = decode(s, p);
  }
  if (c.c == '+') {
    if (!first) return i;
    it.plus = true, p += c.len;
    if (p >= limit) return i;
    c = decode(s, p);
  }
  int nd = 0;
  while (is_digit(c.c)) {
    if (nd < k_max_digits) dig[nd] = static_cast<char>(c.c);
    nd++, p += c.len;
    while (p < limit && s[p] >= '0' && s[p] <= '9') {  // ASCII digits, the common case
      if (nd < k_max_digits) dig[nd] = s[p];
      nd++, p++;
    }
    if (p >= limit) break;
    c = decode(s, p);
  }
  if (nd == 0) return i;
  if (it.paren) {
    if (nd > 5 || p >= limit || c.c != ')') return i;
    p += c.len;
  }
  it.ndig = std::min(nd, k_max_digits + 1);
  it.end = p;
  return p;
}

// Parses the cluster starting at i; returns where scanning resumes (i if there is none).
std::size_t parse_cluster(std::string_view s, std::size_t i, std::size_t limit, cluster& cl) {
  cl.n = 0, cl.glued = false, cl.x_end = 0;
  std::size_t p = parse_item(s, i, limit, true, cl.items[0], cl.dig[0]);
  if (p == i) return i;
  cl.n = 1;
  while (cl.n < k_max_items && p < limit) {
    const cp c1 = decode(s, p);
    char joint = 0;
    std::size_t q = p;
    if (c1.c == ' ' || c1.c == '-' || c1.c == '.') {
      joint = static_cast<char>(c1.c), q = p + c1.len;
      if (q >= limit) break;
      const char32_t c2 = decode(s, q).c;
      if (!is_digit(c2) && !(c2 == '(' && joint != '.')) break;
    } else if (c1.c != '(' && !(cl.items[cl.n - 1].paren && is_digit(c1.c))) {
      break;
    }
    item& next = cl.items[cl.n];
    const std::size_t e = parse_item(s, q, limit, false, next, cl.dig[cl.n]);
    if (e == q) break;
    next.joint = joint, cl.n++, p = e;
  }
  if (p < s.size() && !cl.items[cl.n - 1].paren) {
    const cp c = decode(s, p);
    if (c.c == 'X' || c.c == 'x') {
      if (glued_at(s, p + c.len)) {
        cl.glued = true;
      } else {
        cl.x_end = p + c.len;
      }
      return p;
    }
  }
  cl.glued = glued_at(s, p);
  return p;
}

// One candidate span of a cluster, items [i, j), flattened.
struct span {
  char d[k_max_digits + 1];
  int n = 0;                 // digits
  int len[k_max_digits];     // group lengths
  char joint[k_max_digits];  // joint before each group (joint[0]: before the span)
  bool paren[k_max_digits];
  int g = 0;  // groups
  bool plus = false, any_paren = false, x = false;
};

// Groups after `from` are all joined by one and the same character of `allowed`.
bool same_joints(const span& sp, int from, const char* allowed) {
  if (from + 1 >= sp.g) return true;
  const char j = sp.joint[from + 1];
  if (j == 0 || !std::strchr(allowed, j)) return false;
  for (int k = from + 2; k < sp.g; k++) {
    if (sp.joint[k] != j) return false;
  }
  return true;
}

bool build_span(const cluster& cl, int i, int j, bool x, span& sp) {
  sp.n = 0, sp.g = 0, sp.plus = cl.items[i].plus, sp.any_paren = false, sp.x = x;
  for (int k = i; k < j; k++) {
    const item& it = cl.items[k];
    if (sp.n + it.ndig > k_max_digits) return false;
    for (int d = 0; d < it.ndig; d++) sp.d[sp.n + d] = cl.dig[k][d];
    sp.len[sp.g] = it.ndig, sp.joint[sp.g] = k == i ? 0 : it.joint, sp.paren[sp.g] = it.paren;
    sp.any_paren |= it.paren, sp.n += it.ndig, sp.g++;
  }
  return true;
}

int current_year() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return tm.tm_year + 1900;
}

int num(const char* d, int n) {
  int v = 0;
  for (int k = 0; k < n; k++) v = v * 10 + (d[k] - '0');
  return v;
}

bool real_date(int y, int m, int d, int max_year) {
  static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > max_year || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return false;
  return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

bool is_cn_id(const span& sp, const pii_options& o, int& max_year) {
  if (sp.plus || sp.any_paren || sp.n != (sp.x ? 17 : 18)) return false;
  const bool spaced = sp.g == 3 && sp.len[0] == 6 && sp.len[1] == 8 && same_joints(sp, 0, " ");
  if (sp.g != 1 && !spaced) return false;
  const int p = num(sp.d, 2);
  if (!((p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
        (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
        (p >= 81 && p <= 83))) {
    return false;
  }
  if (max_year == 0) max_year = o.cn_id_max_year > 0 ? o.cn_id_max_year : current_year();
  if (!real_date(num(sp.d + 6, 4), num(sp.d + 10, 2), num(sp.d + 12, 2), max_year)) return false;
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int k = 0; k < 17; k++) sum += (sp.d[k] - '0') * w[k];
  return "10X98765432"[sum % 11] == (sp.x ? 'X' : sp.d[17]);
}

bool luhn(const char* d, int n) {
  int sum = 0;
  for (int k = 0; k < n; k++) {
    int v = d[n - 1 - k] - '0';
    if (k % 2 == 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
  }
  return sum % 10 == 0;
}

bool iin_fits(const char* d, int n) {
  const int p2 = num(d, 2), p3 = num(d, 3), p4 = num(d, 4);
  switch (d[0]) {
    case '2':
      return (p4 >= 2221 && p4 <= 2720 && n == 16) || (p4 >= 2200 && p4 <= 2204 && n >= 16);
    case '3':
      if (p2 == 34 || p2 == 37) return n == 15;
      if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14;
      return p4 >= 3528 && p4 <= 3589 && n >= 16;
    case '4':
      return n == 13 || n == 16 || n == 19;
    case '5':
      return p2 >= 51 && p2 <= 55 ? n == 16 : p2 == 50 || p2 >= 56;
    case '6':
      return true;
    default:
      return false;
  }
}

bool is_card(const span& sp) {
  if (sp.plus || sp.any_paren || sp.n < 13 || sp.n > 19) return false;
  if (sp.g > 1) {
    if (!same_joints(sp, 0, " -")) return false;
    bool fours = sp.len[sp.g - 1] <= 4;
    for (int k = 0; k + 1 < sp.g; k++) fours &= sp.len[k] == 4;
    const bool amex = sp.g == 3 && sp.len[0] == 4 && sp.len[1] == 6 && sp.len[2] >= 4;
    if (!fours && !amex) return false;
  }
  return luhn(sp.d, sp.n) && iin_fits(sp.d, sp.n);
}

// '+' (or "(+cc)") and 8-15 digits, or "00" and 8-15 more; groups after the first have 2+
// digits unless parenthesised; a "(0)" trunk does not count.
bool is_e164(const span& sp) {
  int skip = 0;
  if (!sp.plus) {
    if (sp.paren[0] || sp.len[0] < 3 || sp.d[0] != '0' || sp.d[1] != '0') return false;
    skip = 2;
  }
  if (sp.d[skip] == '0') return false;
  int count = sp.n - skip, off = sp.len[0];
  for (int k = 1; k < sp.g; off += sp.len[k], k++) {
    if (sp.paren[k] && sp.len[k] == 1 && sp.d[off] == '0') count--;
    if (!sp.paren[k] && sp.len[k] < 2) return false;
  }
  return count >= 8 && count <= 15;
}

bool is_cn_mobile(const span& sp) {
  int p = 0;  // prefix digits: 86 or 0086
  if (sp.n == 13 && sp.d[0] == '8' && sp.d[1] == '6') {
    p = 2;
  } else if (sp.n == 15 && std::memcmp(sp.d, "0086", 4) == 0) {
    p = 4;
  } else if (sp.n != 11) {
    return false;
  }
  if (sp.plus || sp.d[p] != '1' || sp.d[p + 1] < '3') return false;
  int first = 0, len0 = sp.len[0];
  if (p > 0 && sp.len[0] == p) {  // a separate prefix: "86 138...", "(86)138..."
    first = 1, len0 = sp.g > 1 ? sp.len[1] : 0;
    const char j = sp.joint[1];
    if (!(j == ' ' || j == '-' || (j == 0 && sp.paren[0]))) return false;
  } else if (p > 0) {
    len0 -= p;
  }
  for (int k = first; k < sp.g; k++) {
    if (sp.paren[k] || len0 <= 0) return false;
  }
  const int body = sp.g - first;
  const int l1 = body > 1 ? sp.len[first + 1] : 0, l2 = body > 2 ? sp.len[first + 2] : 0;
  const bool shape = (body == 1 && len0 == 11) || (body == 3 && len0 == 3 && l1 == 4) ||
                     (body == 2 && ((len0 == 3 && l1 == 8) || (len0 == 7 && l1 == 4)));
  return shape && (body != 3 || l2 == 4) && same_joints(sp, first, " -.");
}

bool space_or_dash(char j) { return j == ' ' || j == '-'; }

bool is_national(const span& sp) {
  if (sp.plus) return false;
  const char* d = sp.d;
  if (sp.paren[0]) {  // "(area) rest"
    if (sp.len[0] < 2 || sp.g < 2 || sp.n < 7 || sp.n > 15) return false;
    if (sp.joint[1] != 0 && !space_or_dash(sp.joint[1])) return false;
    for (int k = 1; k < sp.g; k++) {
      if (sp.paren[k] || sp.len[k] < 3 || (k > 1 && !space_or_dash(sp.joint[k]))) return false;
    }
    return true;
  }
  if (sp.any_paren) return false;
  if (d[0] == '0' && d[1] != '0') {  // a trunk 0
    if (sp.g == 1) return sp.n >= 10 && sp.n <= 12;
    if (sp.g == 5 && sp.n == 10 && same_joints(sp, 0, " .-")) {
      bool pairs = true;
      for (int k = 0; k < 5; k++) pairs &= sp.len[k] == 2;
      if (pairs) return true;
    }
    if (sp.len[0] < 2 || sp.len[0] > 5 || sp.g > 4 || sp.n < 9 || sp.n > 13) return false;
    if (sp.len[sp.g - 1] < 4) return false;
    for (int k = 1; k < sp.g; k++) {
      if (sp.len[k] < 3 || !space_or_dash(sp.joint[k])) return false;
    }
    return true;
  }
  const int f = sp.g == 4 && sp.len[0] == 1 && d[0] == '1' ? 1 : 0;  // NANP, 1 optional
  if (sp.g - f != 3 || sp.len[f] != 3 || sp.len[f + 1] != 3 || sp.len[f + 2] != 4) return false;
  if (f == 1 && !(space_or_dash(sp.joint[1]) || sp.joint[1] == '.')) return false;
  return same_joints(sp, f, " -.") && d[f] >= '2' && d[f + 3] >= '2';
}

int classify(const span& sp, const pii_options& o, int& max_year) {
  if (sp.n < 7) return -1;
  if (o.cn_id && is_cn_id(sp, o, max_year)) return static_cast<int>(pii_kind::cn_id);
  if (sp.x) return -1;  // an X after anything else is a word touching it
  if (o.card && is_card(sp)) return static_cast<int>(pii_kind::card);
  if (o.phone && ((o.phone_e164 && is_e164(sp)) || (o.phone_cn_mobile && is_cn_mobile(sp)) ||
                  (o.phone_national && is_national(sp)))) {
    return static_cast<int>(pii_kind::phone);
  }
  return -1;
}

// Longest match first from each item where a match may start; matches begin and end at the
// cluster's ends or at joints that are spaces.
void classify_cluster(const cluster& cl, const pii_options& o, int& max_year,
                      std::vector<pii_match>& out) {
  span sp;
  int upto[k_max_items + 1];  // digits in items [0, k)
  upto[0] = 0;
  for (int k = 0; k < cl.n; k++) upto[k + 1] = upto[k] + cl.items[k].ndig;
  for (int i = 0; i < cl.n;) {
    int taken = 0;
    if (i == 0 || cl.items[i].joint == ' ') {
      for (int j = std::min(cl.n, i + k_max_digits); j > i && !taken; j--) {
        if (j < cl.n ? cl.items[j].joint != ' ' : cl.glued) continue;
        const int digits = upto[j] - upto[i];
        if (digits < 7 || digits > k_max_digits) continue;  // no kind has fewer or more
        const bool x = j == cl.n && cl.x_end != 0;
        if (!build_span(cl, i, j, x, sp)) continue;
        const int kind = classify(sp, o, max_year);
        if (kind < 0) continue;
        out.push_back(
            {cl.items[i].begin, x ? cl.x_end : cl.items[j - 1].end, static_cast<pii_kind>(kind)});
        taken = j - i;
      }
    }
    i += taken ? taken : 1;
  }
}

struct trigger_table {
  bool t[256];
};
constexpr trigger_table make_triggers() {
  trigger_table r{};
  for (int c = '0'; c <= '9'; c++) r.t[c] = true;
  r.t[uchar('+')] = r.t[uchar('(')] = r.t[0xEF] = true;  // 0xEF leads the full-width forms
  return r;
}
constexpr trigger_table k_triggers = make_triggers();

// The first byte at or after i that may start a number (the hot loop on plain text).
std::size_t skip_plain(std::string_view s, std::size_t i) {
  const uchar* p = reinterpret_cast<const uchar*>(s.data());
  const std::size_t n = s.size();
  while (i + 4 <= n && !(k_triggers.t[p[i]] | k_triggers.t[p[i + 1]] | k_triggers.t[p[i + 2]] |
                         k_triggers.t[p[i + 3]])) {
    i += 4;
  }
  while (i < n && !k_triggers.t[p[i]]) i++;
  return i;
}

// Digit clusters outside the e-mails out[0, emails).
void find_numbers(std::string_view s, const pii_options& o, std::vector<pii_match>& out,
                  std::size_t emails) {
  cluster cl;
  int max_year = 0;
  std::size_t next_email = 0;
  for (std::size_t i = 0; i < s.size();) {
    i = skip_plain(s, i);
    if (i >= s.size()) break;
    while (next_email < emails && out[next_email].end <= i) next_email++;
    if (next_email < emails && out[next_email].begin <= i) {
      i = out[next_email].end;
      continue;
    }
    const cp c = decode(s, i);
    if (!(is_digit(c.c) || c.c == '+' || c.c == '(') || !left_boundary(s, i)) {
      i += c.len;
      continue;
    }
    const std::size_t limit = next_email < emails ? out[next_email].begin : s.size();
    const std::size_t end = parse_cluster(s, i, limit, cl);
    if (end == i) {
      i += c.len;
      continue;
    }
    int digits = 0;
    for (int k = 0; k < cl.n; k++) digits += cl.items[k].ndig;
    if (digits >= 7) classify_cluster(cl, o, max_year, out);  // most numbers in chat are short
    i = end;
  }
}

// Whether the non-ASCII letter ending at i is within reach of an '@' through domain characters.
bool in_domain(std::string_view s, std::size_t i) {
  for (std::size_t count = 0; i > 0 && count <= k_domain_max + 1; count++) {
    const cp c = decode_before(s, i);
    if (c.c == '@') return true;
    if (!(is_alnum(c.c) || c.c == '-' || c.c == '.' || is_uletter(c.c))) return false;
    i -= c.len;
  }
  return false;
}

// Whether nothing after boundary i can change what the scanner does before it, and the
// reverse; see pii_holdback(). Bytes from `known` on are an incomplete sequence.
bool safe_cut(std::string_view s, std::size_t i, std::size_t known, const cp& c) {
  if (c.c == k_bad) return true;
  if (is_word(c.c) || (c.c != 0 && c.c < 0x80 && std::strchr("-.+()@", int(c.c)))) return false;
  if (c.c == ' ') {  // a joint only between a digit or ')' and a digit or '('
    if (i == c.len) return true;
    const char32_t p = decode_before(s, i - c.len).c;
    if (!is_digit(p) && p != ')') return true;
    if (i >= known) return false;
    const char32_t n = decode(s, i).c;
    return !is_digit(n) && n != '(';
  }
  if (!is_uletter(c.c)) return true;
  return is_unspaced(c.c) && !in_domain(s, i - c.len);  // other letters may begin a local part
}

// Bytes of an incomplete UTF-8 sequence at the end of s.
std::size_t incomplete_tail(std::string_view s) {
  for (std::size_t k = 1; k <= 3 && k <= s.size(); k++) {
    const uchar b = s[s.size() - k];
    if ((b & 0xC0) == 0x80) continue;
    const std::size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return b >= 0xC2 && b <= 0xF4 && need > k ? k : 0;
  }
  return 0;
}

}  // namespace

void find_pii(std::string_view utf8, const pii_options& options, std::vector<pii_match>& out) {
  out.clear();
  if (options.email) find_emails(utf8, out);
  const std::size_t emails = out.size();
  if (options.phone || options.card || options.cn_id) find_numbers(utf8, options, out, emails);
  if (emails > 0 && out.size() > emails) {
    std::sort(out.begin(), out.end(),
              [](const pii_match& a, const pii_match& b) { return a.begin < b.begin; });
  }
}

std::vector<pii_match> find_pii(std::string_view utf8, const pii_options& options) {
  std::vector<pii_match> out;
  find_pii(utf8, options, out);
  return out;
}

void mask_pii(std::string_view utf8, const std::vector<pii_match>& matches, std::string& out,
              const pii_options& options) {
  out.clear();
  out.reserve(utf8.size());
  std::size_t pos = 0;
  for (const pii_match& m : matches) {
    if (m.begin < pos || m.end < m.begin || m.end > utf8.size()) continue;
    out.append(utf8.substr(pos, m.begin - pos));
    std::size_t keep = m.end;  // the hint kept from here on
    if (options.keep_hint && m.kind == pii_kind::email) {
      for (std::size_t i = m.begin; i < m.end; i += decode(utf8, i).len) {
        if (decode(utf8, i).c == '@') {
          keep = i;
          break;
        }
      }
    } else if (options.keep_hint && m.kind == pii_kind::card) {
      int digits = 0;
      for (std::size_t i = m.end; i > m.begin && digits < 4;) {
        const cp c = decode_before(utf8, i);
        i -= c.len;
        if (is_digit(c.c)) digits++, keep = i;
      }
    }
    for (std::size_t i = m.begin; i < keep; i += decode(utf8, i).len) out.push_back('*');
    out.append(utf8.substr(keep, m.end - keep));
    pos = m.end;
  }
  out.append(utf8.substr(pos));
}

std::string mask_pii(std::string_view utf8, const std::vector<pii_match>& matches,
                     const pii_options& options) {
  std::string out;
  mask_pii(utf8, matches, out, options);
  return out;
}

std::size_t pii_holdback(std::string_view tail) {
  const std::size_t known = tail.size() - incomplete_tail(tail);
  std::size_t i = known;
  while (i > 0) {
    const cp c = decode_before(tail, i);
    if (safe_cut(tail, i, known, c)) break;
    i -= c.len;
  }
  return tail.size() - i;
}

}  // namespace sb::filter
