// The word-list syntax: entries, verdicts, the allow-list, comments, blank lines, BOM and CRLF,
// and errors that name the line.
#include "filter/word_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sb::filter {
namespace {

std::vector<word_entry> parse(std::string_view text) {
  std::vector<word_entry> out;
  std::string error;
  EXPECT_TRUE(parse_word_list(text, out, error)) << error;
  return out;
}

std::string error_of(std::string_view text) {
  std::vector<word_entry> out;
  std::string error;
  EXPECT_FALSE(parse_word_list(text, out, error));
  return error;
}

TEST(filter_word_list, one_entry_per_line_masked_by_default_with_verdict_suffixes) {
  std::vector<word_entry> e = parse("fuck\nshit | block\nidiot|FLAG\ndamn|mask\n!class\n");
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].word, "fuck");
  EXPECT_EQ(e[0].action, verdict::mask);
  EXPECT_FALSE(e[0].allow);
  EXPECT_EQ(e[0].line, 1u);
  EXPECT_EQ(e[1].word, "shit");
  EXPECT_EQ(e[1].action, verdict::block);
  EXPECT_EQ(e[2].action, verdict::flag);
  EXPECT_EQ(e[3].action, verdict::mask);
  EXPECT_EQ(e[4].word, "class");
  EXPECT_TRUE(e[4].allow);
  EXPECT_EQ(e[4].line, 5u);
}

TEST(filter_word_list, comments_blank_lines_bom_and_crlf_are_ignored) {
  std::vector<word_entry> e = parse(
      "\xEF\xBB\xBF# profanity\r\n\r\n   \r\n  kill yourself  | block  # self-harm\r\n"
      "\t# indented comment\r\n法轮功\r\nc# # a word with a hash");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].word, "kill yourself");
  EXPECT_EQ(e[0].action, verdict::block);
  EXPECT_EQ(e[0].line, 4u);
  EXPECT_EQ(e[1].word, "法轮功");
  EXPECT_EQ(e[1].line, 6u);
  EXPECT_EQ(e[2].word, "c#");
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("\n\n# only comments\n").empty());
}

TEST(filter_word_list, errors_name_the_line) {
  EXPECT_EQ(error_of("ok\n\nword|ban\n"), "line 3: unknown verdict \"ban\" (mask, block or flag)");
  EXPECT_EQ(error_of("!class|block"), "line 1: an allow-list entry (!) takes no verdict");
  EXPECT_EQ(error_of("a\r\nb\r\n | block"), "line 3: no word");
  EXPECT_EQ(error_of("!"), "line 1: no word");
  EXPECT_EQ(error_of("fine\n\xC4\xE3\xBA\xC3\n"),
            "line 2: not valid UTF-8 (save the list as UTF-8)");
  EXPECT_EQ(error_of("word|"), "line 1: unknown verdict \"\" (mask, block or flag)");
}

TEST(filter_word_list, entries_append_to_what_is_there) {
  std::vector<word_entry> out{word_entry{"first", verdict::flag, false, 0}};
  std::string error;
  ASSERT_TRUE(parse_word_list("second", out, error));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].word, "second");
}

TEST(filter_word_list, build_names_the_line_of_an_entry_that_normalises_to_nothing) {
  std::vector<word_entry> e = parse("fine\n# c\n...\n");
  std::string error;
  EXPECT_EQ(word_matcher::build(e, error), nullptr);
  EXPECT_EQ(error, "line 3: \"...\" has no letters or digits");
  std::string word;
  for (int i = 0; i < 101; i++) word += i % 2 ? 'a' : 'b';
  std::vector<word_entry> long_one{word_entry{word, verdict::mask, false, 0}};
  EXPECT_EQ(word_matcher::build(long_one, error), nullptr);
  EXPECT_EQ(error, "entry 1: \"" + long_one[0].word + "\" is longer than 100 characters");
}

}  // namespace
}  // namespace sb::filter
