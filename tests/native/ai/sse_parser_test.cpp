// The SSE parser: events are the same however the bytes are split (every split point, every
// pair of split points, byte by byte), line endings, fields, comments, limits, finish, reset.
#include "ai/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using sb::ai::sse_parser;

namespace {

struct parsed {
  std::vector<std::string> events;
  bool ok = true;
};

/** Feeds `pieces` in order, then finish() if asked. */
parsed feed_all(sse_parser& p, const std::vector<std::string>& pieces, bool finish = false) {
  parsed out;
  auto on_event = [&](std::string_view data) {
    out.events.emplace_back(data);
    return true;
  };
  for (const auto& piece : pieces)
    if (!p.feed(piece, on_event)) {
      out.ok = false;
      return out;
    }
  if (finish) p.finish(on_event);
  return out;
}

parsed parse(const std::string& stream, bool finish = false) {
  sse_parser p;
  return feed_all(p, {stream}, finish);
}

using events = std::vector<std::string>;

// A stream as a chat-completions upstream might send it, with every feature the parser has:
// mixed line endings, comments, fields it ignores, multi-line data, `data` without a space,
// an empty data line, and [DONE].
const std::string mixed_stream =
    ": keep-alive\r\n"
    "\r\n"
    "data: {\"a\":1}\r\n\r\n"
    "event: message\n"
    "id: 7\n"
    "retry: 1000\n"
    "data:{\"b\":2}\n\n"
    "data: line one\r"
    ": a comment inside the event\r"
    "data: line two\r\r"
    "data:\n"
    "\n"
    "data:  two spaces\r\n"
    "\r\n"
    "data: \xE4\xBD\xA0\xE5\xA5\xBD\n\n"
    "data: [DONE]\n\n";

const events mixed_events = {"{\"a\":1}", "{\"b\":2}",   "line one\nline two",
                             "",          " two spaces", "\xE4\xBD\xA0\xE5\xA5\xBD",
                             "[DONE]"};

}  // namespace

TEST(sse_parser, mixed_stream_in_one_read_gives_every_event) {
  auto r = parse(mixed_stream);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.events, mixed_events);
}

TEST(sse_parser, a_split_at_every_byte_position_gives_identical_events) {
  for (std::size_t cut = 0; cut <= mixed_stream.size(); cut++) {
    sse_parser p;
    auto r = feed_all(p, {mixed_stream.substr(0, cut), mixed_stream.substr(cut)});
    ASSERT_TRUE(r.ok) << "cut at " << cut;
    EXPECT_EQ(r.events, mixed_events) << "cut at " << cut;
  }
}

TEST(sse_parser, two_splits_at_every_pair_of_positions_give_identical_events) {
  const std::size_t n = mixed_stream.size();
  for (std::size_t a = 0; a <= n; a++)
    for (std::size_t b = a; b <= n; b++) {
      sse_parser p;
      auto r = feed_all(
          p, {mixed_stream.substr(0, a), mixed_stream.substr(a, b - a), mixed_stream.substr(b)});
      ASSERT_TRUE(r.ok) << a << "," << b;
      ASSERT_EQ(r.events, mixed_events) << "cuts at " << a << " and " << b;
    }
}

TEST(sse_parser, byte_by_byte_gives_identical_events) {
  std::vector<std::string> bytes;
  for (char c : mixed_stream) bytes.emplace_back(1, c);
  sse_parser p;
  auto r = feed_all(p, bytes);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.events, mixed_events);
}

TEST(sse_parser, empty_reads_change_nothing) {
  sse_parser p;
  auto r = feed_all(p, {"", "data: a", "", "\n", "", "\n", ""});
  EXPECT_EQ(r.events, events{"a"});
}

TEST(sse_parser, lf_crlf_and_lone_cr_line_endings_are_equivalent) {
  EXPECT_EQ(parse("data: a\ndata: b\n\n").events, events{"a\nb"});
  EXPECT_EQ(parse("data: a\r\ndata: b\r\n\r\n").events, events{"a\nb"});
  EXPECT_EQ(parse("data: a\rdata: b\r\r").events, events{"a\nb"});
  // Mixed within one event.
  EXPECT_EQ(parse("data: a\rdata: b\r\ndata: c\n\r\n").events, events{"a\nb\nc"});
}

TEST(sse_parser, crlf_split_between_two_reads_is_one_line_end) {
  // Were the LF read as a blank line, the event would end after "a" and "b" would be a second.
  sse_parser p;
  auto r = feed_all(p, {"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  EXPECT_EQ(r.events, events{"a\nb"});
}

TEST(sse_parser, cr_then_lf_in_a_later_read_after_an_empty_read_is_still_one_line_end) {
  sse_parser p;
  auto r = feed_all(p, {"data: a\r", "", "\ndata: b\n\n"});
  EXPECT_EQ(r.events, events{"a\nb"});
}

TEST(sse_parser, two_crs_are_two_line_ends_not_one) {
  EXPECT_EQ(parse("data: a\r\rdata: b\r\r").events, (events{"a", "b"}));
}

TEST(sse_parser, comments_are_ignored_even_between_data_lines) {
  EXPECT_EQ(parse(": keep-alive\n\n").events, events{});
  EXPECT_EQ(parse(":\n\n").events, events{});
  EXPECT_EQ(parse(":keep-alive\ndata: x\n: ping\ndata: y\n\n").events, events{"x\ny"});
}

TEST(sse_parser, data_with_and_without_the_space_after_the_colon) {
  EXPECT_EQ(parse("data: x\n\n").events, events{"x"});
  EXPECT_EQ(parse("data:x\n\n").events, events{"x"});
  // Only one space is part of the syntax; more belong to the value.
  EXPECT_EQ(parse("data:   x\n\n").events, events{"  x"});
  // A colon inside the value stays.
  EXPECT_EQ(parse("data: {\"k\":\"v: w\"}\n\n").events, events{"{\"k\":\"v: w\"}"});
  // A tab is not the optional space.
  EXPECT_EQ(parse("data:\tx\n\n").events, events{"\tx"});
}

TEST(sse_parser, multi_line_data_is_joined_with_newlines) {
  EXPECT_EQ(parse("data: one\ndata: two\ndata: three\n\n").events, events{"one\ntwo\nthree"});
  EXPECT_EQ(parse("data: one\ndata:\ndata: three\n\n").events, events{"one\n\nthree"});
}

TEST(sse_parser, data_field_without_a_colon_or_value_is_an_empty_event) {
  // As in browsers: a data field with an empty value still makes an event.
  EXPECT_EQ(parse("data\n\n").events, events{""});
  EXPECT_EQ(parse("data:\n\n").events, events{""});
}

TEST(sse_parser, done_marker_is_passed_through_as_data) {
  EXPECT_EQ(parse("data: [DONE]\n\n").events, events{"[DONE]"});
}

TEST(sse_parser, fields_other_than_data_are_ignored) {
  EXPECT_EQ(parse("event: ping\nid: 3\nretry: 10\nfoo: bar\n\n").events, events{});
  EXPECT_EQ(parse("event: x\ndata: d\nid: 1\nunknown\n\n").events, events{"d"});
  // Field names are case-sensitive; "Data" is not "data".
  EXPECT_EQ(parse("Data: x\nDATA: y\n\n").events, events{});
  EXPECT_EQ(parse("data : x\n\n").events, events{});
}

TEST(sse_parser, blank_lines_without_data_dispatch_nothing) {
  EXPECT_EQ(parse("\n\n\r\n\r\r\n").events, events{});
  EXPECT_EQ(parse("data: a\n\n\n\n\ndata: b\n\n").events, (events{"a", "b"}));
}

TEST(sse_parser, an_event_is_dispatched_only_at_its_blank_line) {
  sse_parser p;
  auto r = feed_all(p, {"data: a\n"});
  EXPECT_EQ(r.events, events{});
  r = feed_all(p, {"data: b\n"});
  EXPECT_EQ(r.events, events{});
  r = feed_all(p, {"\n"});
  EXPECT_EQ(r.events, events{"a\nb"});
}

TEST(sse_parser, an_event_larger_than_the_limit_fails_the_feed) {
  sse_parser p(16);
  auto r = feed_all(p, {"data: " + std::string(40, 'x') + "\n\n"});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.events, events{});
}

TEST(sse_parser, an_event_that_grows_past_the_limit_over_many_reads_fails) {
  sse_parser p(64);
  bool ok = true;
  int reads = 0;
  auto on_event = [](std::string_view) { return true; };
  while (ok && reads < 100) {
    ok = p.feed("data: 0123456789\n", on_event);  // never a blank line
    reads++;
  }
  EXPECT_FALSE(ok);
  EXPECT_LT(reads, 10);
}

TEST(sse_parser, a_long_line_split_over_many_reads_fails_before_its_end) {
  sse_parser p(100);
  bool ok = true;
  int reads = 0;
  while (ok && reads < 100) {
    ok = p.feed("data: abcdefghij", [](std::string_view) { return true; });
    reads++;
  }
  EXPECT_FALSE(ok);
  EXPECT_LT(reads, 12);
}

TEST(sse_parser, events_within_the_limit_pass_however_many_there_are) {
  sse_parser p(32);
  std::string stream;
  for (int i = 0; i < 100; i++) stream += "data: 0123456789abcdef\n\n";  // 22 bytes a line
  auto r = feed_all(p, {stream});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.events.size(), 100u);
}

TEST(sse_parser, on_event_returning_false_stops_parsing_without_failing) {
  sse_parser p;
  std::vector<std::string> seen;
  bool ok = p.feed("data: a\n\ndata: b\n\ndata: c\n\n", [&](std::string_view d) {
    seen.emplace_back(d);
    return false;
  });
  EXPECT_TRUE(ok);
  EXPECT_EQ(seen, events{"a"});
}

TEST(sse_parser, finish_dispatches_a_trailing_event_without_its_blank_line) {
  EXPECT_EQ(parse("data: a\n\ndata: tail", true).events, (events{"a", "tail"}));
  EXPECT_EQ(parse("data: one\ndata: two\n", true).events, events{"one\ntwo"});
  EXPECT_EQ(parse("data: one\r\ndata: two", true).events, events{"one\ntwo"});
}

TEST(sse_parser, finish_dispatches_nothing_when_nothing_is_pending) {
  EXPECT_EQ(parse("", true).events, events{});
  EXPECT_EQ(parse("data: a\n\n", true).events, events{"a"});
  EXPECT_EQ(parse(": comment at the end", true).events, events{});
  EXPECT_EQ(parse("event: only a name", true).events, events{});
}

TEST(sse_parser, finish_twice_dispatches_the_trailing_event_once) {
  sse_parser p;
  auto r = feed_all(p, {"data: tail"}, true);
  EXPECT_EQ(r.events, events{"tail"});
  r = feed_all(p, {}, true);
  EXPECT_EQ(r.events, events{});
}

TEST(sse_parser, reset_drops_a_partial_line_and_a_partial_event) {
  sse_parser p;
  auto r = feed_all(p, {"data: first\ndata: half a li"});
  EXPECT_EQ(r.events, events{});
  p.reset();
  r = feed_all(p, {"data: fresh\n\n"});
  EXPECT_EQ(r.events, events{"fresh"});
  r = feed_all(p, {}, true);
  EXPECT_EQ(r.events, events{});
}

TEST(sse_parser, reset_makes_the_parser_usable_for_a_new_stream_with_the_same_limit) {
  sse_parser p(32);
  auto r = feed_all(p, {"data: 0123456789012345678\n"});  // 25 bytes pending, within 32
  ASSERT_TRUE(r.ok);
  p.reset();
  // Without the reset this event would add to the pending data and pass the limit.
  r = feed_all(p, {"data: 0123456789012345678\n\n"});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.events, events{"0123456789012345678"});
}
