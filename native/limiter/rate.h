// Rate limits: a token bucket for bursts combined with a sliding-window counter for the
// sustained rate. Both must allow; a refusal says honestly when the next attempt can pass.
// Pure functions of (state, rule, now): tested on a simulated clock.
#pragma once

#include <cstdint>

namespace sb::limiter {

/** One limit. A zero `burst` disables the bucket; a zero `window_max` disables the window. */
struct rate_rule {
  double burst = 0;              // bucket size: how many at once
  double per_second = 0;         // bucket refill rate
  std::int64_t window_ms = 0;    // sliding window length
  std::uint32_t window_max = 0;  // at most this many per window (weighted two-window estimate)
  bool enabled() const { return burst > 0 || window_max > 0; }
};

/** A key's state; a zeroed state is a fresh key (full bucket, empty window). 32 bytes. */
struct rate_state {
  float tokens = 0;            // bucket level, valid once `seen`
  std::uint32_t current = 0;   // events in the current window
  std::uint32_t previous = 0;  // events in the previous window
  std::uint32_t flags = 0;     // bit 0: seen; bits 1-31: the table's last-refused time
  std::int64_t last_ms = 0;    // last refill of the bucket
  std::int64_t window_start_ms = 0;
};

struct decision {
  bool allowed = true;
  std::int64_t retry_after_ms = 0;  // when refused: the earliest time a retry can pass (>= 1)
};

/** Checks one event against `rule`; when allowed, counts it (takes a token, adds to the window).
 *  A refused event counts for nothing, so a flood cannot push its own retry time out. */
decision check(rate_state& s, const rate_rule& rule, std::int64_t now_ms);

/** True when `s` is equivalent to a fresh state at `now_ms` (bucket full, windows expired):
 *  forgetting the key loses nothing. */
bool is_idle(const rate_state& s, const rate_rule& rule, std::int64_t now_ms);

}  // namespace sb::limiter
