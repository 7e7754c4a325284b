// The sensitive-word matcher: matching inside text, every evasion the normaliser defeats,
// repeats without false friends (good/god), the allow-list, phrases, verdicts and their order,
// masking of exact spans (separators inside included), invalid UTF-8, and a large list.
#include "filter/word_matcher.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "filter_test_support.h"

namespace sb::filter {
namespace {

using testing::compile;

TEST(filter_word_matcher, finds_words_inside_text_and_masks_one_star_per_code_point) {
  auto m = compile("fuck\n法轮功\n");
  filter_result r = m->apply("what the fuck, man");
  EXPECT_EQ(r.action, verdict::mask);
  EXPECT_EQ(r.masked, "what the ****, man");
  ASSERT_EQ(r.words.size(), 1u);
  EXPECT_EQ(r.words[0].entry, 0u);
  EXPECT_EQ(r.words[0].begin, 9u);
  EXPECT_EQ(r.words[0].end, 13u);
  EXPECT_EQ(m->apply("我爱法轮功。").masked, "我爱***。");
  EXPECT_EQ(m->apply("nothing here").action, verdict::allow);
  EXPECT_EQ(m->apply("nothing here").masked, "nothing here");
  EXPECT_EQ(m->apply("").masked, "");
}

TEST(filter_word_matcher, every_evasion_is_caught_and_masked_over_its_whole_span) {
  auto m = compile("fuck\n法轮功\n");
  struct evasion {
    const char* text;
    const char* masked;
  };
  for (const evasion& e : std::vector<evasion>{
           {"FUCK", "****"},
           {"FuCk you", "**** you"},
           {"ｆｕｃｋ", "****"},  // full-width
           {"f\xE2\x80\x8Bu\xE2\x80\x8C"
            "ck",
            "******"},                // zero-width inside
           {"f.u.c.k", "*******"},    // separators, masked too
           {"f u c k!", "*******!"},  // letter spacing
           {"f-u_c*k", "*******"},
           {"fuuuuuck", "********"},  // repeats
           {"ffffuck", "*******"},
           {"fuckkkk off", "******* off"},
           {"FÜCK", "****"},   // diacritics
           {"𝐟𝐮𝐜𝐤", "****"},   // styled letters
           {"法輪功", "***"},  // traditional
           {"法 轮 功", "*****"},
           {"法*輪*功", "*****"},
           {"法\xE2\x80\x8B轮\xE2\x80\x8B功", "*****"},
       }) {
    filter_result r = m->apply(e.text);
    EXPECT_EQ(r.masked, e.masked) << e.text;
    EXPECT_EQ(r.action, verdict::mask) << e.text;
  }
}

TEST(filter_word_matcher, traditional_entries_match_simplified_text) {
  auto m = compile("法輪功\n");
  EXPECT_EQ(m->apply("法轮功").masked, "***");
}

TEST(filter_word_matcher, a_doubled_letter_is_a_different_word_but_three_or_more_is_a_repeat) {
  auto m = compile("god|flag\nbullshit\nass\n");
  EXPECT_EQ(m->apply("good morning").action, verdict::allow);
  EXPECT_EQ(m->apply("oh god").action, verdict::flag);
  EXPECT_EQ(m->apply("goood").action, verdict::flag);
  EXPECT_EQ(m->apply("gods").action, verdict::flag);  // inside longer words too
  EXPECT_EQ(m->apply("bulllshiiiit").masked, "************");
  EXPECT_EQ(m->apply("bulshit").action, verdict::allow);
  EXPECT_EQ(m->apply("bullshiit").action, verdict::allow);
  EXPECT_EQ(m->apply("as").action, verdict::allow);
  EXPECT_EQ(m->apply("asssss").masked, "******");  // the whole run is masked
  EXPECT_EQ(m->apply("aass").masked, "****");      // at the ends: any run at least as long
}

TEST(filter_word_matcher, separators_between_ordinary_words_do_not_join_them) {
  auto m = compile("ass\nahole\n");
  EXPECT_EQ(m->apply("it was sad").action, verdict::allow);
  EXPECT_EQ(m->apply("I was, so sad").action, verdict::allow);
  EXPECT_EQ(m->apply("a hole in one").action, verdict::allow);
  EXPECT_EQ(m->apply("what an a.hole").masked, "what an ******");
}

TEST(filter_word_matcher, the_allow_list_cancels_bans_inside_its_matches_only) {
  auto m = compile("ass\n!class\n!assistant\n!passage\n");
  EXPECT_EQ(m->apply("first class").action, verdict::allow);
  EXPECT_EQ(m->apply("my assistant").action, verdict::allow);
  EXPECT_EQ(m->apply("CLASSIC").action, verdict::allow);
  EXPECT_EQ(m->apply("class ass").masked, "class ***");
  EXPECT_EQ(m->apply("classass").masked, "class***");
  EXPECT_EQ(m->apply("c.l.a.s.s").action, verdict::allow);  // evasions of the allow-list too
  EXPECT_EQ(m->apply("passage").action, verdict::allow);
  filter_result r = m->apply("ass");
  EXPECT_EQ(r.masked, "***");
  EXPECT_EQ(r.words.size(), 1u);
}

TEST(filter_word_matcher, a_phrase_matches_spaced_or_joined) {
  auto m = compile("kill yourself|block\n");
  for (const char* s : {"kill yourself", "KILL   YOURSELF", "kill-yourself", "killyourself",
                        "just kill yourself!", "k i l l yourself", "kill\nyourself"}) {
    EXPECT_EQ(m->apply(s).action, verdict::block) << s;
  }
  EXPECT_EQ(m->apply("kill your self").action, verdict::allow);
  EXPECT_EQ(m->apply("kill yourself").masked, "*************");
}

TEST(filter_word_matcher, the_most_severe_verdict_wins_and_flags_are_not_masked) {
  auto m = compile("damn|flag\nfuck\nshit|block\n");
  filter_result r = m->apply("damn, fuck");
  EXPECT_EQ(r.action, verdict::mask);
  EXPECT_EQ(r.masked, "damn, ****");
  ASSERT_EQ(r.words.size(), 2u);
  EXPECT_EQ(r.words[0].action, verdict::flag);
  EXPECT_EQ(r.words[1].action, verdict::mask);
  EXPECT_EQ(m->apply("damn it").masked, "damn it");
  EXPECT_EQ(m->apply("damn it").action, verdict::flag);
  EXPECT_EQ(m->apply("fuck this shit").action, verdict::block);
  EXPECT_EQ(m->check("fuck this shit"), verdict::block);
  EXPECT_EQ(m->check("damn"), verdict::flag);
  EXPECT_EQ(m->check("fine"), verdict::allow);
}

TEST(filter_word_matcher, overlapping_and_nested_matches_mask_their_union) {
  auto m = compile("abc\ncde\nb\n");
  filter_result r = m->apply("xabcdex");
  EXPECT_EQ(r.masked, "x*****x");
  EXPECT_EQ(r.words.size(), 3u);
}

TEST(filter_word_matcher, invalid_utf8_never_crashes_and_bytes_outside_matches_are_kept) {
  auto m = compile("fuck\n");
  EXPECT_EQ(m->apply("\xFF"
                     "fuck\xFE")
                .masked,
            "\xFF****\xFE");
  EXPECT_EQ(m->apply("f\xFFuck").action, verdict::allow);
  EXPECT_EQ(m->apply("fu\xE4\xB8").action, verdict::allow);
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; i++) {
    std::string s(rng() % 30, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 3 ? "fuck .\xE4\xB8\xAD"[rng() % 10] : rng());
    filter_result r = m->apply(s);
    EXPECT_EQ(r.action, m->check(s));
    if (r.words.empty()) {
      EXPECT_EQ(r.masked, s);
    }
  }
}

TEST(filter_word_matcher, an_empty_list_matches_nothing) {
  std::string error;
  auto m = word_matcher::build({}, error);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->apply("anything at all").action, verdict::allow);
  EXPECT_EQ(m->max_length(), 0u);
}

TEST(filter_word_matcher, ten_thousand_words_all_match_and_nothing_else_does) {
  std::mt19937 rng(11);
  std::vector<word_entry> entries;
  std::vector<std::string> words;
  for (int i = 0; i < 10000; i++) {
    std::string w;
    int len = 3 + static_cast<int>(rng() % 6);
    for (int k = 0; k < len; k++) w += static_cast<char>('a' + rng() % 26);
    if (i % 2) w = "\xE4\xB8" + std::string(1, static_cast<char>(0x80 + rng() % 64)) + w;
    words.push_back(w);
    entries.push_back(word_entry{w, verdict::flag, false, 0});
  }
  std::string error;
  auto m = word_matcher::build(entries, error);
  ASSERT_TRUE(m) << error;
  for (std::size_t i = 0; i < words.size(); i += 7) {
    filter_result r = m->apply("<" + words[i] + ">");
    ASSERT_EQ(r.action, verdict::flag) << words[i];
    bool found = false;
    for (const matched_word& w : r.words) found |= w.entry == i;
    EXPECT_TRUE(found) << words[i];
  }
  EXPECT_EQ(m->apply("0123456789 !!").action, verdict::allow);
}

}  // namespace
}  // namespace sb::filter
