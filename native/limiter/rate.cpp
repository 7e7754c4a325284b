// check() and is_idle(): a token bucket and a weighted two-window counter over one rate_state.
// A refused event leaves the state untouched, so the answer is a pure function of (state, rule,
// time) and the retry time it gives is exact: the same call passes then, and not a ms before.
#include "limiter/rate.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sb::limiter {
namespace {

constexpr std::uint32_t kSeen = 1;
// The retry time of a bucket that never refills (per_second <= 0, or burst < 1): about 24 days,
// far enough to mean "not by waiting", small enough that now + it cannot overflow.
constexpr std::int64_t kNever = std::numeric_limits<std::int32_t>::max();

bool bucket_on(const rate_rule& r) { return r.burst > 0; }
bool window_on(const rate_rule& r) { return r.window_max > 0 && r.window_ms > 0; }

// Milliseconds from `from` to `to`, 0 when the clock went backwards; no overflow for any pair.
double elapsed_ms(std::int64_t from, std::int64_t to) {
  if (to <= from) return 0;
  return static_cast<double>(static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from));
}

// The state as a fresh key would have it at `now`, or `s` as it is.
rate_state effective(const rate_state& s, const rate_rule& r, std::int64_t now) {
  if (s.flags & kSeen) return s;
  rate_state f;
  f.tokens = static_cast<float>(r.burst);
  f.flags = kSeen;
  f.last_ms = now;
  f.window_start_ms = now;
  return f;
}

// ---- token bucket ----

double level(const rate_state& s, const rate_rule& r, std::int64_t t) {
  double refill = r.per_second > 0 ? elapsed_ms(s.last_ms, t) * r.per_second / 1000.0 : 0.0;
  return std::min(r.burst, static_cast<double>(s.tokens) + refill);
}

bool bucket_ok(const rate_state& s, const rate_rule& r, std::int64_t t) {
  return !bucket_on(r) || level(s, r, t) >= 1.0;
}

// Smallest w >= 1 with bucket_ok(now + w); the estimate is corrected against the predicate
// itself so that rounding can never make the answer a ms early or late.
std::int64_t bucket_wait(const rate_state& s, const rate_rule& r, std::int64_t now) {
  if (bucket_ok(s, r, now + 1)) return 1;
  if (r.per_second <= 0 || r.burst < 1.0) return kNever;
  // Refilling from the level at last_ms: 1 token at last_ms + deficit / rate.
  double deficit = 1.0 - std::min(r.burst, static_cast<double>(s.tokens));
  double refill = std::ceil(deficit * 1000.0 / r.per_second);
  if (refill >= static_cast<double>(kNever)) return kNever;
  auto w = std::max<std::int64_t>(1, s.last_ms + static_cast<std::int64_t>(refill) - now);
  while (!bucket_ok(s, r, now + w)) w++;
  while (w > 1 && bucket_ok(s, r, now + w - 1)) w--;
  return w;
}

// ---- sliding window ----

__extension__ typedef unsigned __int128
    u128;  // NOLINT(modernize-use-using): __extension__ needs typedef

struct window_view {
  std::uint64_t previous, current;
  std::int64_t start, elapsed;  // start of the current window; elapsed in it (0 if clock went back)
};

window_view roll(const rate_state& s, const rate_rule& r, std::int64_t t) {
  window_view v{s.previous, s.current, s.window_start_ms, 0};
  if (t <= s.window_start_ms) return v;
  const auto W = static_cast<std::uint64_t>(r.window_ms);
  std::uint64_t since = static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(v.start);
  if (since >= W) {  // divide only when more than one window has passed
    std::uint64_t n = since < 2 * W ? 1 : since / W;
    v.previous = n == 1 ? v.current : 0;
    v.current = 0;
    since = n == 1 ? since - W : since % W;
    v.start = t - static_cast<std::int64_t>(since);
  }
  v.elapsed = static_cast<std::int64_t>(since);
  return v;
}

// Counts are below 2^32: with a window under 2^31 ms the products fit in 64 bits.
constexpr std::int64_t kNarrowWindow = std::int64_t{1} << 31;

// previous * (1 - elapsed / window) + current < window_max, in exact integer arithmetic.
bool window_ok(const rate_state& s, const rate_rule& r, std::int64_t t) {
  if (!window_on(r)) return true;
  window_view v = roll(s, r, t);
  if (r.window_ms < kNarrowWindow) {
    auto w = static_cast<std::uint64_t>(r.window_ms);
    std::uint64_t lhs = v.previous * (w - static_cast<std::uint64_t>(v.elapsed)) + v.current * w;
    return lhs < std::uint64_t{r.window_max} * w;
  }
  auto w = static_cast<u128>(r.window_ms);
  u128 lhs = static_cast<u128>(v.previous) * (w - static_cast<u128>(v.elapsed)) + v.current * w;
  return lhs < static_cast<u128>(r.window_max) * w;
}

// ceil(a / b), capped at `cap`.
std::int64_t ceil_div(u128 a, u128 b, std::int64_t cap) {
  if (a >> 64 == 0 && b >> 64 == 0) {  // the common case, without a 128-bit division
    auto a64 = static_cast<std::uint64_t>(a), b64 = static_cast<std::uint64_t>(b);
    std::uint64_t q = a64 / b64 + (a64 % b64 != 0);
    return q > static_cast<std::uint64_t>(cap) ? cap : static_cast<std::int64_t>(q);
  }
  u128 q = a / b + (a % b != 0);
  return q > static_cast<u128>(cap) ? cap : static_cast<std::int64_t>(q);
}

// Smallest w >= 1 with window_ok(now + w). The estimate only falls with time, so solve for the
// first ms in the current window, else in the next one, else the one after (empty: passes).
std::int64_t window_wait(const rate_state& s, const rate_rule& r, std::int64_t now) {
  if (window_ok(s, r, now + 1)) return 1;
  window_view v = roll(s, r, std::max(now, s.window_start_ms));
  const std::int64_t W = r.window_ms;
  const std::uint64_t max = r.window_max;
  std::int64_t at;
  if (v.current < max && v.previous > 0) {
    // previous * (W - e) < (max - current) * W  <=>  e >= W - ceil(R / previous) + 1
    u128 R = static_cast<u128>(max - v.current) * static_cast<u128>(W);
    at = v.start + std::max<std::int64_t>(0, W - ceil_div(R, v.previous, W + 1) + 1);
  } else if (v.current < max) {
    at = v.start + W;  // unreachable: an empty previous window would have passed
  } else {
    // In the next window previous' = current: current * (W - e) < max * W.
    at = v.start + W +
         std::max<std::int64_t>(
             0, W - ceil_div(static_cast<u128>(max) * static_cast<u128>(W), v.current, W) + 1);
  }
  auto w = std::max<std::int64_t>(1, at - now);
  while (!window_ok(s, r, now + w)) w++;
  while (w > 1 && window_ok(s, r, now + w - 1)) w--;
  return w;
}

}  // namespace

decision check(rate_state& s, const rate_rule& rule, std::int64_t now_ms) {
  if (!rule.enabled()) return {};
  rate_state e = effective(s, rule, now_ms);
  bool bucket = bucket_ok(e, rule, now_ms);
  bool window = window_ok(e, rule, now_ms);
  if (!bucket || !window) {
    // Both only improve with time, so the first ms at which both pass is the later of the two.
    std::int64_t wait = 1;
    if (!bucket) wait = std::max(wait, bucket_wait(e, rule, now_ms));
    if (!window) wait = std::max(wait, window_wait(e, rule, now_ms));
    return {false, wait};
  }
  if (bucket_on(rule)) {
    e.tokens = static_cast<float>(std::max(0.0, level(e, rule, now_ms) - 1.0));
  }
  e.last_ms = std::max(e.last_ms, now_ms);
  if (window_on(rule)) {
    window_view v = roll(e, rule, now_ms);
    // An emptied window restarts here, as a fresh key's would: an idle state is a fresh one.
    if (v.previous == 0 && v.current == 0 && now_ms > v.start) v.start = now_ms;
    e.previous = static_cast<std::uint32_t>(v.previous);
    e.current = static_cast<std::uint32_t>(v.current + 1);
    e.window_start_ms = v.start;
  }
  s = e;
  return {};
}

bool is_idle(const rate_state& s, const rate_rule& rule, std::int64_t now_ms) {
  if (!(s.flags & kSeen) || !rule.enabled()) return true;
  if (bucket_on(rule) && level(s, rule, now_ms) < rule.burst) return false;
  if (window_on(rule)) {
    window_view v = roll(s, rule, now_ms);
    if (v.previous != 0 || v.current != 0) return false;
  }
  return true;
}

}  // namespace sb::limiter
