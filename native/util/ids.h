// Random identifiers and the clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::util {

/** `prefix` + 22 base64url characters (128 random bits from the OS CSPRNG, buffered). */
std::string random_id(std::string_view prefix);
/** `n` random bytes as a binary string (for secrets). */
std::string random_bytes(std::size_t n);

/** Wall-clock milliseconds since the Unix epoch. */
std::int64_t now_ms();
/** Monotonic nanoseconds (for latency measurements). */
std::int64_t mono_ns();
/** Monotonic milliseconds (for timeouts). */
inline std::int64_t mono_ms() { return mono_ns() / 1000000; }

}  // namespace sb::util
