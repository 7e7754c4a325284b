// The normaliser of the sensitive-word filter: UTF-8 decoding (invalid bytes, truncation, random
// bytes), folding (case, diacritics, full-width, styled letters, traditional Chinese), removal of
// invisible characters and separators, word boundaries, runs, byte spans, and feeding in pieces.
#include "filter/normalize.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sb::filter {
namespace {

std::string norm(std::string_view s) { return to_utf8(normalize(s)); }

std::vector<unit> units_of(std::string_view s) {
  normalized_text t = normalize(s);
  return std::vector<unit>(t.begin(), t.end());
}

bool same(const std::vector<unit>& a, const std::vector<unit>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); i++) {
    if (a[i].cp != b[i].cp || a[i].count != b[i].count || a[i].begin != b[i].begin ||
        a[i].end != b[i].end) {
      return false;
    }
  }
  return true;
}

TEST(filter_normalize, decode_utf8_reads_every_length_and_rejects_bad_sequences) {
  auto dec = [](std::string_view s, bool at_end, char32_t& cp) {
    return decode_utf8(reinterpret_cast<const unsigned char*>(s.data()), s.size(), at_end, cp);
  };
  char32_t cp;
  EXPECT_EQ(dec("a", true, cp), 1);
  EXPECT_EQ(cp, U'a');
  EXPECT_EQ(dec("\xC3\xA9", true, cp), 2);
  EXPECT_EQ(cp, U'\u00E9');
  EXPECT_EQ(dec("\xE4\xB8\xAD", true, cp), 3);
  EXPECT_EQ(cp, U'\u4E2D');
  EXPECT_EQ(dec("\xF0\x9F\x98\x80", true, cp), 4);
  EXPECT_EQ(cp, U'\U0001F600');
  for (std::string_view bad : {"\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                               "\xF4\x90\x80\x80", "\xF8\x88\x80\x80", "\xFF", "\xE4\x41"}) {
    EXPECT_EQ(dec(bad, true, cp), 1) << bad;
    EXPECT_EQ(cp, 0xFFFDu);
  }
  // Truncated: undecided while more may come, one bad byte at the end.
  EXPECT_EQ(dec("\xE4\xB8", false, cp), 0);
  EXPECT_EQ(dec("\xE4\xB8", true, cp), 1);
  EXPECT_EQ(cp, 0xFFFDu);
  EXPECT_EQ(dec("\xF0\x9F", false, cp), 0);
  EXPECT_EQ(dec("\xE4\x41", false, cp), 1);  // already known to be bad
}

TEST(filter_normalize, invalid_bytes_become_replacement_characters_with_their_own_spans) {
  std::vector<unit> u = units_of(
      "a\xFF"
      "b\xE4\xB8");
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[1].cp, 0xFFFDu);
  EXPECT_EQ(u[1].begin, 1u);
  EXPECT_EQ(u[1].end, 2u);
  EXPECT_EQ(u[3].cp, 0xFFFDu);  // the truncated sequence: one per byte, as a run of two
  EXPECT_EQ(u[3].count, 2u);
  EXPECT_EQ(u[3].begin, 3u);
  EXPECT_EQ(u[3].end, 5u);
}

TEST(filter_normalize, random_bytes_never_crash_and_spans_stay_ordered_inside_the_text) {
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; round++) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 ? rng() % 256 : 0x80 + rng() % 64);
    std::uint32_t last_end = 0;
    for (const unit& u : units_of(s)) {
      ASSERT_LE(last_end, u.begin);
      ASSERT_LT(u.begin, u.end);
      ASSERT_LE(u.end, s.size());
      ASSERT_GE(u.count, 1u);
      last_end = u.end;
    }
  }
}

TEST(filter_normalize, case_diacritics_and_other_alphabets_fold) {
  EXPECT_EQ(norm("Hello WORLD"), "hello world");
  EXPECT_EQ(norm("FÜCK Façade ŁÓDŹ Ærø"), "fuck facade lodz æro");
  EXPECT_EQ(norm("ΑΒΓ ПРИВЕТ Ёж"), "αβγ привет ёж");
  EXPECT_EQ(norm("f\xCC\x88uck"), "fuck");  // a combining diaeresis
}

TEST(filter_normalize, full_width_and_styled_letters_become_ascii) {
  EXPECT_EQ(norm("ＦＵＣＫ ｙｏｕ１２３"), "fuck you123");
  EXPECT_EQ(norm("ｆｕｃｋ\xE3\x80\x80ｙｏｕ"), "fuck you");  // U+3000 ideographic space
  EXPECT_EQ(norm("ⓕⓤⓒⓚ 𝐟𝐮𝐜𝐤 𝓕𝓤𝓒𝓚 🅵🆄🅲🅺"), "fuck fuck fuck fuck");
  EXPECT_EQ(norm("x² 𝟗"), "x2 9");
}

TEST(filter_normalize, traditional_chinese_and_variants_become_simplified) {
  EXPECT_EQ(norm("法輪功"), "法轮功");
  EXPECT_EQ(norm("說話 發財 後來 臺灣 裡面"), "说话发财后来台湾里面");
  EXPECT_EQ(norm("简体中文不变"), "简体中文不变");
  EXPECT_EQ(norm("什么"), "什么");        // a simplified character that is a variant elsewhere
  EXPECT_EQ(norm("\xEF\xA4\x80"), "岂");  // U+F900, a compatibility form of 豈
}

TEST(filter_normalize, folding_is_idempotent) {
  for (char32_t cp = 0; cp < 0x30000; cp++) {
    folded f = fold(cp);
    folded g = fold(f.cp);
    if (f.cls == char_class::word) {
      ASSERT_EQ(g.cp, f.cp) << std::hex << cp;
      ASSERT_EQ(g.cls, char_class::word) << std::hex << cp;
    }
  }
}

TEST(filter_normalize, invisible_characters_vanish_anywhere) {
  EXPECT_EQ(norm("f\xE2\x80\x8Bu\xE2\x80\x8C"
                 "c\xE2\x80\x8Dk"),
            "fuck");  // ZWSP, ZWNJ, ZWJ
  EXPECT_EQ(norm("f\xC2\xAD"
                 "uck"),
            "fuck");  // soft hyphen
  EXPECT_EQ(norm("\xEF\xBB\xBF"
                 "fu\xE2\x81\xA0"
                 "ck\xE2\x80\x8E"),
            "fuck");                                            // BOM, WJ, LRM
  EXPECT_EQ(norm("法\xEF\xB8\x8F轮\xE2\x80\x8B功"), "法轮功");  // VS16, ZWSP
  EXPECT_EQ(norm("fu\x01"
                 "ck"),
            "fuck");  // a control
}

TEST(filter_normalize, punctuation_and_symbols_inside_a_word_vanish) {
  for (const char* s : {"f.u.c.k", "f-u-c-k", "f_u_c_k", "f*u*c*k", "f|u|c|k", "f/u/c/k",
                        "f\\u\\c\\k", "fu.ck", "f..u--c__k",
                        "f\xF0\x9F\x8D\x86u\xE2\x98\x85"
                        "ck",
                        "f\xE3\x80\x82u\xEF\xBC\x8C"
                        "ck",
                        "\"fuck\"", "#fuck!"}) {
    EXPECT_EQ(norm(s), "fuck") << s;
  }
  EXPECT_EQ(norm("法*轮*功"), "法轮功");
  EXPECT_EQ(norm("don't e-mail"), "dont email");
}

TEST(filter_normalize, letter_spacing_vanishes_but_word_boundaries_stay) {
  EXPECT_EQ(norm("f u c k"), "fuck");
  EXPECT_EQ(norm("F . U . C . K"), "fuck");
  EXPECT_EQ(norm("f\tu\nc  k"), "fuck");
  EXPECT_EQ(norm("was sad"), "was sad");
  EXPECT_EQ(norm("a hole"), "a hole");
  EXPECT_EQ(norm("I am here"), "i am here");
  EXPECT_EQ(norm("  hello,   world!  "), "hello world");
  EXPECT_EQ(norm("e.g. this"), "eg this");
  EXPECT_EQ(norm("fu ck"), "fu ck");  // documented: only single letters are joined
  EXPECT_EQ(norm("f. u. c. k."), "fuck");
  EXPECT_EQ(norm("u.s. army"), "us army");
  EXPECT_EQ(norm("x y.z"), "x yz");
}

TEST(filter_normalize, spaces_next_to_han_or_kana_vanish) {
  EXPECT_EQ(norm("法 轮 功"), "法轮功");
  EXPECT_EQ(norm("法轮  大法"), "法轮大法");
  EXPECT_EQ(norm("我用 Python 写"), "我用python写");
  EXPECT_EQ(norm("カタ カナ"), "カタカナ");
  EXPECT_EQ(norm("한국 어"), "한국 어");  // Korean is written with spaces
}

TEST(filter_normalize, repeated_characters_form_one_unit_with_a_count) {
  std::vector<unit> u = units_of("fuuuuck");
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[1].cp, U'u');
  EXPECT_EQ(u[1].count, 4u);
  EXPECT_EQ(u[1].begin, 1u);
  EXPECT_EQ(u[1].end, 5u);
  EXPECT_EQ(units_of("good")[1].count, 2u);
  EXPECT_EQ(units_of("u.u.U")[0].count, 3u);  // separators and case do not split a run
  EXPECT_EQ(units_of("u u u").size(), 1u);
  EXPECT_EQ(units_of("oo oo").size(), 3u);  // a boundary does
}

TEST(filter_normalize, units_map_back_to_byte_spans_of_the_original) {
  std::string s = "hey F.U.C.K 法 輪!";
  std::vector<unit> u = units_of(s);
  ASSERT_EQ(to_utf8(normalize(s)), "hey fuck法轮");
  EXPECT_EQ(s.substr(u[0].begin, u[2].end - u[0].begin), "hey");
  EXPECT_EQ(s.substr(u[3].begin, u[3].end - u[3].begin), " ");  // the boundary
  EXPECT_EQ(s.substr(u[4].begin, u[7].end - u[4].begin), "F.U.C.K");
  EXPECT_EQ(s.substr(u[9].begin, u[9].end - u[9].begin), "輪");
  EXPECT_EQ(u.size(), 10u);
}

// Every split of every text into two pieces, and byte by byte: the same units as the whole.
TEST(filter_normalize, feeding_in_pieces_gives_the_units_of_the_whole) {
  std::vector<std::string> texts = {"f u c k you",
                                    "a b",
                                    "I am a b c",
                                    "fu.ck  of  法 轮 功!",
                                    "ｆ\xE2\x80\x8Bｕ　ｃｋ",
                                    "good  goood",
                                    "x\xE4\xB8",
                                    " a ",
                                    "a  b c  dd e",
                                    "法 a 轮 b",
                                    "\xF0\x9F\x98\x80 z z",
                                    "hello world foo",
                                    "ab cd e f gh",
                                    "x  y. z",
                                    "I a.m here",
                                    "..a b..",
                                    "oo o o"};
  for (const std::string& s : texts) {
    std::vector<unit> whole = units_of(s);
    for (std::size_t cut = 0; cut <= s.size(); cut++) {
      for (std::size_t step : {s.size() + 1, std::size_t{1}}) {
        normalizer n;
        std::vector<unit> buf(s.size() + 3);
        std::uint32_t count = 0;
        std::string pending;
        std::uint32_t offset = 0;
        auto give = [&](std::string_view piece, bool at_end) {
          pending.append(piece);
          std::size_t used = n.feed(pending, offset, at_end, buf.data(), count);
          pending.erase(0, used);
          offset += static_cast<std::uint32_t>(used);
        };
        std::vector<unit> finals;  // units before the open one are final: never change later
        auto check_final = [&] {
          std::uint32_t stable = n.open() ? count - 1 : count;
          for (std::uint32_t k = 0; k < stable; k++) {
            if (k < finals.size()) {
              ASSERT_TRUE(same({finals[k]}, {buf[k]})) << s << " unit " << k;
            } else {
              finals.push_back(buf[k]);
            }
          }
        };
        give(s.substr(0, cut), false);
        check_final();
        for (std::size_t i = cut; i < s.size(); i += step) {
          give(s.substr(i, step), false);
          check_final();
        }
        give("", true);
        n.finish(buf.data(), count);
        std::vector<unit> got(buf.begin(), buf.begin() + count);
        ASSERT_TRUE(same(got, whole)) << s << " cut " << cut << " step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace sb::filter
