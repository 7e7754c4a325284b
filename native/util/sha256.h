// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), self-contained so the core links no crypto
// library that could clash with the OpenSSL symbols Node exports.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::util {

using digest256 = std::array<std::uint8_t, 32>;

digest256 sha256(std::string_view data);
digest256 hmac_sha256(std::string_view key, std::string_view data);

std::string to_hex(const std::uint8_t* data, std::size_t n);
inline std::string to_hex(const digest256& d) { return to_hex(d.data(), d.size()); }

/** base64url without padding (RFC 4648 §5). */
std::string base64url_encode(std::string_view data);
/** Returns false on any character outside the alphabet. */
bool base64url_decode(std::string_view text, std::string& out);

/** Compares in time that depends only on the lengths. */
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace sb::util
