// The stream guard: for every split of a text into deltas (every one and two cut points, byte
// by byte, and random splits of random texts), what was passed on is at every moment a prefix
// of apply(whole).masked, so no part of a banned word ever goes out, and at the end it is all
// of it; a block stops the stream; the hold-back stays small.
#include "filter/stream_guard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "filter_test_support.h"

namespace sb::filter {
namespace {

using testing::compile;

const char* const k_list =
    "fuck\nass\n!class\n!assistant\n法轮功|block\ngod|flag\nkill yourself\nabcab\n"
    "shit|flag\nuck you\nbullshit\n";

std::vector<std::tuple<std::uint32_t, verdict, std::uint32_t, std::uint32_t>> sorted(
    const std::vector<matched_word>& words) {
  std::vector<std::tuple<std::uint32_t, verdict, std::uint32_t, std::uint32_t>> out;
  for (const matched_word& w : words) out.emplace_back(w.entry, w.action, w.begin, w.end);
  std::sort(out.begin(), out.end());
  return out;
}

// Streams `text` cut at `cuts` (increasing byte offsets) and checks the guard against apply().
::testing::AssertionResult streams_like_apply(const word_matcher& m,
                                              const std::shared_ptr<const word_matcher>& shared,
                                              const std::string& text,
                                              const std::vector<std::size_t>& cuts) {
  filter_result whole = m.apply(text);
  stream_guard g(shared);
  std::string out;
  std::size_t at = 0;
  auto check = [&](const char* when) -> ::testing::AssertionResult {
    if (whole.masked.compare(0, out.size(), out) != 0) {
      return ::testing::AssertionFailure()
             << when << ": passed on \"" << out << "\", not a prefix of \"" << whole.masked << "\"";
    }
    return ::testing::AssertionSuccess();
  };
  for (std::size_t c : cuts) {
    g.feed(std::string_view(text).substr(at, c - at), out);
    at = c;
    if (auto r = check("feed"); !r) return r << " (text \"" << text << "\")";
  }
  g.feed(std::string_view(text).substr(at), out);
  if (auto r = check("last feed"); !r) return r << " (text \"" << text << "\")";
  verdict v = g.finish(out);
  if (auto r = check("finish"); !r) return r << " (text \"" << text << "\")";
  if (v != whole.action) {
    return ::testing::AssertionFailure() << "verdict " << verdict_name(v) << " instead of "
                                         << verdict_name(whole.action) << " for \"" << text << "\"";
  }
  if (v == verdict::block) return ::testing::AssertionSuccess();
  if (out != whole.masked || sorted(g.words()) != sorted(whole.words) || g.held_back() != 0) {
    return ::testing::AssertionFailure()
           << "streamed \"" << out << "\" instead of \"" << whole.masked << "\" (words "
           << g.words().size() << " vs " << whole.words.size() << ")";
  }
  return ::testing::AssertionSuccess();
}

// Every single cut, every pair of cuts, and byte by byte.
void every_split(const std::shared_ptr<const word_matcher>& m, const std::string& text) {
  std::size_t n = text.size();
  std::vector<std::size_t> bytes;
  for (std::size_t i = 1; i < n; i++) bytes.push_back(i);
  ASSERT_TRUE(streams_like_apply(*m, m, text, bytes));
  ASSERT_TRUE(streams_like_apply(*m, m, text, {}));
  for (std::size_t i = 0; i <= n; i++) {
    for (std::size_t j = i; j <= n; j++) ASSERT_TRUE(streams_like_apply(*m, m, text, {i, j}));
  }
}

TEST(filter_stream_guard, every_pattern_at_every_split_point) {
  auto m = compile(k_list);
  for (const char* text : {"fuck", "ass", "class", "法轮功", "god", "kill yourself", "abcab",
                           "shit", "uck you", "bullshit", "assistant"}) {
    for (const char* frame : {"%", "x %", "% y", "「%」", "%%", "a%b", "class %"}) {
      std::string t(frame);
      t.replace(t.find('%'), 1, text);
      every_split(m, t);
    }
  }
}

TEST(filter_stream_guard, every_evasion_at_every_split_point) {
  auto m = compile(k_list);
  for (const char* text : {"F.U.C.K you", "f u c k", "ｆｕｃｋ",
                           "fu\xE2\x80\x8B"
                           "ck",
                           "fuuuuck!", "法 輪 功", "法*轮*功", "kill-yourself", "KILL   YOURSELF",
                           "c.l.a.s.s", "good goood", "as sss", "abcabcab", "bulllshiiiit",
                           "\xFF"
                           "fuck\xE4\xB8",
                           "glass assistant", "a s s"}) {
    every_split(m, text);
  }
}

TEST(filter_stream_guard, random_texts_at_random_splits) {
  auto m = compile(k_list);
  const std::vector<std::string> pieces = {"f",
                                           "u",
                                           "c",
                                           "k",
                                           "a",
                                           "s",
                                           "ss",
                                           "class",
                                           "i",
                                           "assist",
                                           "ant",
                                           "g",
                                           "o",
                                           "d",
                                           "kill",
                                           " yourself",
                                           "you",
                                           "b",
                                           "ab",
                                           " ",
                                           "  ",
                                           ".",
                                           "-",
                                           "\n",
                                           "\xE2\x80\x8B",
                                           "法",
                                           "輪",
                                           "轮",
                                           "功",
                                           "ｆ",
                                           "Ｕ",
                                           "!",
                                           "\xE4",
                                           "\xFF",
                                           "shit",
                                           "bull",
                                           "\xF0\x9F\x98\x80",
                                           "l",
                                           "h",
                                           "t"};
  std::mt19937 rng(2024);
  for (int round = 0; round < 4000; round++) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; i++) text += pieces[rng() % pieces.size()];
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < text.size(); i++) {
      if (rng() % 4 == 0) cuts.push_back(i);
    }
    ASSERT_TRUE(streams_like_apply(*m, m, text, cuts));
  }
}

TEST(filter_stream_guard, a_long_stream_keeps_its_state_bounded) {
  auto m = compile(k_list);
  stream_guard g(m);
  std::string out, whole;
  for (int i = 0; i < 5000; i++) {
    std::string delta = i % 7 == 0 ? "f.u" : i % 7 == 1 ? "ck 法轮" : "hello class ";
    whole += delta;
    g.feed(delta, out);
    ASSERT_LT(g.held_back(), 32u);
  }
  g.finish(out);
  EXPECT_EQ(out, m->apply(whole).masked);
}

TEST(filter_stream_guard, a_block_ends_the_stream_before_any_of_the_word_goes_out) {
  auto m = compile("kill|block\n");
  stream_guard g(m);
  std::string out;
  EXPECT_EQ(g.feed("you should k", out), verdict::allow);
  EXPECT_EQ(out, "you should ");
  EXPECT_EQ(g.feed("il", out), verdict::allow);
  EXPECT_EQ(g.feed("l it now", out), verdict::block);
  EXPECT_EQ(out, "you should ");
  EXPECT_EQ(g.feed(" more", out), verdict::block);
  EXPECT_EQ(g.finish(out), verdict::block);
  EXPECT_EQ(out, "you should ");
  ASSERT_EQ(g.words().size(), 1u);
  EXPECT_EQ(g.words()[0].begin, 11u);
}

TEST(filter_stream_guard, only_a_possible_start_of_a_word_is_held_back) {
  auto m = compile("fuck\n");
  stream_guard g(m);
  std::string out;
  g.feed("hello th", out);
  EXPECT_EQ(out, "hello th");  // no letter of the list: nothing held
  g.feed("ere fu", out);
  EXPECT_EQ(out, "hello there ");
  g.feed("n", out);
  EXPECT_EQ(out, "hello there fun");  // "n" makes it no longer a start of "fuck"
  g.feed(" stuff", out);
  EXPECT_EQ(out, "hello there fun stu");  // the open run "ff" waits: "ffuck" is a match
  g.feed(" \xE4\xB8", out);               // half a character: nothing decided yet
  EXPECT_EQ(out, "hello there fun stu");
  g.feed("\xAD!", out);
  EXPECT_EQ(out, "hello there fun stuff \xE4\xB8\xAD!");
  g.finish(out);
  EXPECT_EQ(out, "hello there fun stuff \xE4\xB8\xAD!");
  EXPECT_EQ(g.current(), verdict::allow);
}

TEST(filter_stream_guard, flags_are_reported_and_the_text_passes_unchanged) {
  auto m = compile("damn|flag\n");
  stream_guard g(m);
  std::string out;
  g.feed("oh da", out);
  g.feed("mn it", out);
  EXPECT_EQ(g.finish(out), verdict::flag);
  EXPECT_EQ(out, "oh damn it");
  ASSERT_EQ(g.words().size(), 1u);
  EXPECT_EQ(g.words()[0].action, verdict::flag);
}

TEST(filter_stream_guard, finish_twice_and_feed_after_finish_change_nothing) {
  auto m = compile("fuck\n");
  stream_guard g(m);
  std::string out;
  g.feed("a fuc", out);
  g.finish(out);
  g.finish(out);
  g.feed("k", out);
  EXPECT_EQ(out, "a fuc");
}

}  // namespace
}  // namespace sb::filter
