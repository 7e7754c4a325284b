// The strict UTF-8 validator: every boundary of RFC 3629 and the classic invalid sequences,
// also past the 8-byte ASCII fast path.
#include "protocol/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using sb::protocol::is_valid_utf8;

namespace {
std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}
}  // namespace

TEST(utf8, empty_and_ascii_are_valid) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8(std::string(1000, 'a')));
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(is_valid_utf8(bytes({0x7F})));
}

TEST(utf8, every_length_at_its_boundaries_is_valid) {
  EXPECT_TRUE(is_valid_utf8(bytes({0xC2, 0x80})));              // U+0080
  EXPECT_TRUE(is_valid_utf8(bytes({0xDF, 0xBF})));              // U+07FF
  EXPECT_TRUE(is_valid_utf8(bytes({0xE0, 0xA0, 0x80})));        // U+0800
  EXPECT_TRUE(is_valid_utf8(bytes({0xED, 0x9F, 0xBF})));        // U+D7FF, below the surrogates
  EXPECT_TRUE(is_valid_utf8(bytes({0xEE, 0x80, 0x80})));        // U+E000, above them
  EXPECT_TRUE(is_valid_utf8(bytes({0xEF, 0xBF, 0xBF})));        // U+FFFF
  EXPECT_TRUE(is_valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80})));  // U+10000
  EXPECT_TRUE(is_valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80"));
}

TEST(utf8, overlong_encodings_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xC0, 0xAF})));              // '/' in two bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xC0, 0x80})));              // NUL in two bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xC1, 0xBF})));              // U+007F in two bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x80, 0xAF})));        // '/' in three bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xE0, 0x9F, 0xBF})));        // U+07FF in three bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x80, 0x80, 0xAF})));  // '/' in four bytes
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in four bytes
}

TEST(utf8, utf16_surrogates_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0x80})));  // U+D800
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xAD, 0xBF})));  // U+DB7F
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xB0, 0x80})));  // U+DC00
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xBF, 0xBF})));  // U+DFFF
  // A surrogate pair encoded as two 3-byte sequences (CESU-8) is not UTF-8 either.
  EXPECT_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80})));
}

TEST(utf8, code_points_above_u10ffff_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  EXPECT_FALSE(is_valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));        // old 5-byte form
  EXPECT_FALSE(is_valid_utf8(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));  // old 6-byte form
}

TEST(utf8, bytes_that_never_appear_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xFE})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFF})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xFE, 0xFE, 0xFF, 0xFF})));
}

TEST(utf8, lone_or_unexpected_continuation_bytes_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xBF})));
  EXPECT_FALSE(is_valid_utf8(bytes({'a', 0x80, 'b'})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xC3, 0xA9, 0xA9})));  // one continuation too many
}

TEST(utf8, bad_continuation_bytes_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xC3, 0x28})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xC3, 0xC3})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE2, 0x28, 0xA1})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE2, 0x82, 0x28})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x28, 0x8C, 0xBC})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x90, 0x28, 0xBC})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x90, 0x8C, 0x28})));
}

TEST(utf8, truncated_sequences_are_rejected) {
  EXPECT_FALSE(is_valid_utf8(bytes({0xC3})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE2, 0x82})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE2})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x9F, 0x98})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xF0, 0x9F})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xE2, 0x82, 'a'})));  // cut short by the next character
}

TEST(utf8, an_invalid_byte_is_found_at_every_position_around_the_fast_path) {
  // The ASCII fast path reads 8 bytes at a time: put the bad byte at each offset of a long
  // ASCII run, and a valid multi-byte character at each offset too.
  for (std::size_t len = 1; len <= 40; len++) {
    for (std::size_t at = 0; at < len; at++) {
      std::string s(len, 'a');
      s[at] = static_cast<char>(0xFF);
      EXPECT_FALSE(is_valid_utf8(s)) << "length " << len << " at " << at;
      std::string ok(len, 'a');
      ok.insert(at, "\xE2\x82\xAC");
      EXPECT_TRUE(is_valid_utf8(ok)) << "length " << len << " at " << at;
      std::string cut(len, 'a');
      cut.append("\xE2\x82");
      EXPECT_FALSE(is_valid_utf8(cut)) << "length " << len;
    }
  }
}

TEST(utf8, validity_matches_a_reference_decoder_for_all_two_and_three_byte_inputs) {
  // A slow, obviously correct decoder as the oracle, over every 2-byte string and every 3-byte
  // string whose first byte is a 3-byte lead.
  auto reference = [](const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
      auto c = static_cast<unsigned char>(s[i]);
      int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      if (len == 0 || i + len > s.size()) return false;
      std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
      for (int k = 1; k < len; k++) {
        auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (b & 0x3F);
      }
      static const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      i += len;
    }
    return true;
  };
  for (int a = 0; a < 256; a++) {
    for (int b = 0; b < 256; b++) {
      std::string s = bytes({a, b});
      ASSERT_EQ(is_valid_utf8(s), reference(s)) << std::hex << a << " " << b;
      if (a >= 0xE0 && a <= 0xEF) {
        for (int c = 0; c < 256; c++) {
          std::string t = bytes({a, b, c});
          ASSERT_EQ(is_valid_utf8(t), reference(t)) << std::hex << a << " " << b << " " << c;
        }
      }
    }
  }
}
