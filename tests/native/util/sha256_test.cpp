// SHA-256 (FIPS 180-2 appendix vectors), HMAC-SHA256 (RFC 4231), hex, base64url (RFC 4648)
// and the constant-time comparison.
#include "util/sha256.h"

#include <gtest/gtest.h>

#include <string>

using namespace sb::util;

namespace {
std::string hex_sha(std::string_view s) { return to_hex(sha256(s)); }
std::string hex_hmac(std::string_view k, std::string_view d) { return to_hex(hmac_sha256(k, d)); }
}  // namespace

TEST(sha256, empty_string) {
  EXPECT_EQ(hex_sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256, abc) {
  EXPECT_EQ(hex_sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(sha256, the_448_bit_message) {
  EXPECT_EQ(hex_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(sha256, the_896_bit_message) {
  EXPECT_EQ(
      hex_sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
              "klmnopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(sha256, one_million_a) {
  EXPECT_EQ(hex_sha(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(sha256, lengths_at_the_padding_boundaries) {
  // 55 bytes leave room for the length in the last block; 56 and 64 need one more block.
  EXPECT_EQ(hex_sha(std::string(55, 'x')),
            "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
  EXPECT_EQ(hex_sha(std::string(56, 'x')),
            "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
  EXPECT_EQ(hex_sha(std::string(64, 'x')),
            "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

TEST(hmac_sha256, rfc4231_case_1) {
  EXPECT_EQ(hex_hmac(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(hmac_sha256, rfc4231_case_2_key_shorter_than_the_output) {
  EXPECT_EQ(hex_hmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(hmac_sha256, rfc4231_case_3) {
  EXPECT_EQ(hex_hmac(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(hmac_sha256, rfc4231_case_4) {
  std::string key;
  for (int i = 1; i <= 25; i++) key.push_back(static_cast<char>(i));
  EXPECT_EQ(hex_hmac(key, std::string(50, '\xcd')),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(hmac_sha256, rfc4231_case_6_key_longer_than_a_block_is_hashed_first) {
  EXPECT_EQ(
      hex_hmac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(hmac_sha256, rfc4231_case_7_long_key_and_long_data) {
  EXPECT_EQ(hex_hmac(std::string(131, '\xaa'),
                     "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(hex, encodes_lower_case_two_digits_per_byte) {
  const std::uint8_t b[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(to_hex(b, 4), "000fa0ff");
  EXPECT_EQ(to_hex(b, 0), "");
}

TEST(base64url, rfc4648_vectors_without_padding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(base64url, uses_the_url_safe_alphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // "+/8=" in standard base64
  std::string out;
  ASSERT_TRUE(base64url_decode("-_8", out));
  EXPECT_EQ(out, "\xfb\xff");
}

TEST(base64url, round_trips_every_length_and_byte) {
  std::string data;
  for (int i = 0; i < 300; i++) {
    std::string out;
    ASSERT_TRUE(base64url_decode(base64url_encode(data), out)) << i;
    ASSERT_EQ(out, data) << i;
    data.push_back(static_cast<char>(i * 37 + 11));
  }
}

TEST(base64url, decode_rejects_characters_outside_the_alphabet) {
  std::string out;
  EXPECT_FALSE(base64url_decode("Zm9v+g", out));
  EXPECT_FALSE(base64url_decode("Zm9v/g", out));
  EXPECT_FALSE(base64url_decode("Zg==", out));  // no padding in base64url here
  EXPECT_FALSE(base64url_decode("Zm 9v", out));
  EXPECT_FALSE(base64url_decode(std::string("Zm\09v", 5), out));
}

TEST(base64url, decode_rejects_impossible_lengths_and_non_canonical_tails) {
  std::string out;
  EXPECT_FALSE(base64url_decode("Z", out));      // 6 bits cannot be a byte
  EXPECT_FALSE(base64url_decode("Zm9vY", out));  // same after a full group
  EXPECT_FALSE(base64url_decode("Zh", out));     // "Zg" with a stray low bit: a look-alike
  EXPECT_FALSE(base64url_decode("Zm9", out));    // "Zm8" with a stray low bit
  EXPECT_TRUE(base64url_decode("", out));
  EXPECT_EQ(out, "");
}

TEST(constant_time_equal, compares_content_and_length) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "Secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}
