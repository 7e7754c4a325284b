// RFC 6455 reader: frames split at every byte, fragmentation, control frames, limits.
#include "transport/ws_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sb::transport;

namespace {

std::string client_frame(std::uint8_t first_byte, const std::string& payload, bool masked = true) {
  std::string f;
  f.push_back(static_cast<char>(first_byte));
  std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; i--) f.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(mask, 4);
  std::string body = payload;
  if (masked)
    for (std::size_t i = 0; i < body.size(); i++) body[i] ^= mask[i & 3];
  return f + body;
}

struct collected {
  std::vector<std::pair<ws_event, std::string>> events;
  std::uint16_t error = 0;
};

// Feeds `wire` in two pieces split at `split`, carrying unconsumed bytes like the session does.
collected feed_split(const std::string& wire, std::size_t split, std::size_t max = 1 << 16) {
  ws_reader r(max);
  collected out;
  std::string pending;
  auto on = [&](ws_event ev, std::string_view p) {
    out.events.emplace_back(ev, std::string(p));
    return true;
  };
  for (auto piece : {wire.substr(0, split), wire.substr(split)}) {
    pending += piece;
    std::size_t used = r.feed(pending.data(), pending.size(), out.error, on);
    if (out.error) return out;
    pending.erase(0, used);
  }
  return out;
}

}  // namespace

TEST(ws_reader, text_frames_split_at_every_byte_are_read_whole_and_in_order) {
  std::string wire = client_frame(0x81, "hello") + client_frame(0x89, "p") +
                     client_frame(0x81, std::string(300, 'x'));
  for (std::size_t split = 0; split <= wire.size(); split++) {
    auto c = feed_split(wire, split);
    ASSERT_EQ(c.error, 0) << "split " << split;
    ASSERT_EQ(c.events.size(), 3u) << "split " << split;
    EXPECT_EQ(c.events[0].first, ws_event::text);
    EXPECT_EQ(c.events[0].second, "hello");
    EXPECT_EQ(c.events[1].first, ws_event::ping);
    EXPECT_EQ(c.events[2].second, std::string(300, 'x'));
  }
}

TEST(ws_reader, fragmented_message_with_interleaved_ping_is_reassembled) {
  std::string wire = client_frame(0x01, "Hel") + client_frame(0x89, "") + client_frame(0x80, "lo");
  for (std::size_t split = 0; split <= wire.size(); split++) {
    auto c = feed_split(wire, split);
    ASSERT_EQ(c.error, 0);
    ASSERT_EQ(c.events.size(), 2u);
    EXPECT_EQ(c.events[0].first, ws_event::ping);
    EXPECT_EQ(c.events[1].first, ws_event::text);
    EXPECT_EQ(c.events[1].second, "Hello");
  }
}

TEST(ws_reader, sixty_four_bit_length_frame_is_read) {
  std::string big(70000, 'a');
  auto c = feed_split(client_frame(0x81, big), 5, 1 << 20);
  ASSERT_EQ(c.error, 0);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].second.size(), big.size());
}

TEST(ws_reader, frame_over_limit_is_refused_from_its_header) {
  std::string wire = client_frame(0x81, std::string(2000, 'a'));
  auto c = feed_split(wire, 4, 1000);  // only the header has arrived
  EXPECT_EQ(c.error, close_code::too_big);
}

TEST(ws_reader, fragments_adding_up_over_limit_are_refused) {
  std::string wire =
      client_frame(0x01, std::string(600, 'a')) + client_frame(0x80, std::string(600, 'a'));
  auto c = feed_split(wire, wire.size(), 1000);
  EXPECT_EQ(c.error, close_code::too_big);
}

TEST(ws_reader, unmasked_client_frame_is_a_protocol_error) {
  auto c = feed_split(client_frame(0x81, "hi", false), 0);
  EXPECT_EQ(c.error, close_code::protocol_error);
}

TEST(ws_reader, reserved_bits_and_opcodes_are_protocol_errors) {
  EXPECT_EQ(feed_split(client_frame(0xC1, "hi"), 0).error, close_code::protocol_error);
  EXPECT_EQ(feed_split(client_frame(0x83, "hi"), 0).error, close_code::protocol_error);
  EXPECT_EQ(feed_split(client_frame(0x8B, "hi"), 0).error, close_code::protocol_error);
}

TEST(ws_reader, fragmented_or_long_control_frames_are_protocol_errors) {
  EXPECT_EQ(feed_split(client_frame(0x09, "p"), 0).error, close_code::protocol_error);
  EXPECT_EQ(feed_split(client_frame(0x89, std::string(126, 'p')), 0).error,
            close_code::protocol_error);
}

TEST(ws_reader, continuation_without_start_is_a_protocol_error) {
  EXPECT_EQ(feed_split(client_frame(0x80, "x"), 0).error, close_code::protocol_error);
}

TEST(ws_reader, new_message_inside_fragmented_one_is_a_protocol_error) {
  auto wire = client_frame(0x01, "a") + client_frame(0x81, "b");
  EXPECT_EQ(feed_split(wire, 0).error, close_code::protocol_error);
}

TEST(ws_reader, close_frame_payload_is_reported) {
  std::string payload =
      "\x03\xe8"
      "bye";
  auto c = feed_split(client_frame(0x88, payload), 3);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].first, ws_event::close);
  EXPECT_EQ(c.events[0].second, payload);
}

TEST(ws_frame_header, lengths_use_the_shortest_encoding) {
  char h[10];
  EXPECT_EQ(ws_frame_header(0x1, 125, h), 2u);
  EXPECT_EQ(static_cast<unsigned char>(h[0]), 0x81);
  EXPECT_EQ(h[1], 125);
  EXPECT_EQ(ws_frame_header(0x1, 126, h), 4u);
  EXPECT_EQ(static_cast<unsigned char>(h[1]), 126);
  EXPECT_EQ(ws_frame_header(0x1, 65536, h), 10u);
  EXPECT_EQ(static_cast<unsigned char>(h[1]), 127);
  EXPECT_EQ(h[7], 1);  // 65536 = 0x0000000000010000
}

TEST(ws_close_payload, long_reason_is_cut_on_a_utf8_boundary) {
  std::string reason = "abcd";
  for (int i = 0; i < 60; i++) reason += "\xc3\xa9";  // 'é': byte 123 is a continuation byte
  auto p = ws_close_payload(4401, reason);
  EXPECT_EQ(static_cast<unsigned char>(p[0]), 4401 >> 8);
  EXPECT_EQ(static_cast<unsigned char>(p[1]), 4401 & 0xFF);
  EXPECT_EQ(p.substr(2), reason.substr(0, 122));  // backed up over the split sequence
}

TEST(ws_unmask, unmasking_twice_restores_the_payload) {
  std::string data = "The quick brown fox jumps over the lazy dog";
  std::string copy = data;
  const char mask[4] = {1, 2, 3, 4};
  ws_unmask(copy.data(), copy.size(), mask);
  EXPECT_NE(copy, data);
  ws_unmask(copy.data(), copy.size(), mask);
  EXPECT_EQ(copy, data);
}
