// check() and is_idle() on a simulated clock: the token bucket, the weighted sliding window,
// both together, exact retry times, and clocks that jump back or far ahead.
#include "limiter/rate.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sb::limiter {
namespace {

rate_rule bucket(double burst, double per_second) {
  rate_rule r;
  r.burst = burst;
  r.per_second = per_second;
  return r;
}

rate_rule window(std::uint32_t max, std::int64_t window_ms) {
  rate_rule r;
  r.window_max = max;
  r.window_ms = window_ms;
  return r;
}

rate_rule both(double burst, double per_second, std::uint32_t max, std::int64_t window_ms) {
  rate_rule r = bucket(burst, per_second);
  r.window_max = max;
  r.window_ms = window_ms;
  return r;
}

bool same(const rate_state& a, const rate_state& b) {
  return a.tokens == b.tokens && a.current == b.current && a.previous == b.previous &&
         a.flags == b.flags && a.last_ms == b.last_ms && a.window_start_ms == b.window_start_ms;
}

int allowed_count(rate_state& s, const rate_rule& r, std::int64_t now, int tries) {
  int n = 0;
  for (int i = 0; i < tries; i++) n += check(s, r, now).allowed;
  return n;
}

// The retry time of a refusal is the first ms the same call passes: at it, it does; a ms
// before, it does not. Both are tried on copies of the state the refusal left.
void expect_exact_retry(const rate_state& s, const rate_rule& r, std::int64_t now,
                        const decision& d) {
  ASSERT_FALSE(d.allowed);
  ASSERT_GE(d.retry_after_ms, 1);
  rate_state at = s;
  EXPECT_TRUE(check(at, r, now + d.retry_after_ms).allowed)
      << "retry_after " << d.retry_after_ms << " at " << now;
  if (d.retry_after_ms > 1) {
    rate_state before = s;
    EXPECT_FALSE(check(before, r, now + d.retry_after_ms - 1).allowed)
        << "retry_after " << d.retry_after_ms << " at " << now;
  }
}

TEST(rate_limiter, fresh_key_starts_with_a_full_bucket) {
  rate_state s;
  EXPECT_EQ(allowed_count(s, bucket(5, 1), 1000, 10), 5);
}

TEST(rate_limiter, bucket_refills_at_per_second_and_retry_says_when) {
  rate_state s;
  rate_rule r = bucket(2, 10);  // a token per 100 ms
  EXPECT_EQ(allowed_count(s, r, 0, 2), 2);
  decision d = check(s, r, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 100);
  expect_exact_retry(s, r, 0, d);
  EXPECT_FALSE(check(s, r, 99).allowed);
  EXPECT_TRUE(check(s, r, 100).allowed);
  EXPECT_FALSE(check(s, r, 100).allowed);
  EXPECT_EQ(allowed_count(s, r, 350, 5), 2);  // 2.5 tokens refilled, capped at the burst of 2
}

TEST(rate_limiter, refused_events_consume_nothing_so_a_flood_cannot_push_its_retry_out) {
  rate_state s;
  rate_rule r = both(3, 1, 5, 10000);
  EXPECT_EQ(allowed_count(s, r, 0, 3), 3);
  decision first = check(s, r, 0);
  ASSERT_FALSE(first.allowed);
  const rate_state after_first = s;
  std::int64_t t = 0;
  for (; t < first.retry_after_ms; t++) {
    decision d = check(s, r, t);
    ASSERT_FALSE(d.allowed) << t;
    EXPECT_EQ(t + d.retry_after_ms, first.retry_after_ms);
  }
  EXPECT_TRUE(same(s, after_first)) << "a refusal changed the state";
  EXPECT_TRUE(check(s, r, t).allowed);
}

TEST(rate_limiter, window_counts_at_most_window_max_per_window) {
  rate_state s;
  rate_rule r = window(10, 1000);
  EXPECT_EQ(allowed_count(s, r, 0, 20), 10);
  decision d = check(s, r, 500);
  // The next window starts at 1000 with previous = 10: 10 x (1 - e/1000) < 10 needs e >= 1.
  EXPECT_EQ(d.retry_after_ms, 501);
  expect_exact_retry(s, r, 500, d);
  EXPECT_FALSE(check(s, r, 1000).allowed);
  EXPECT_TRUE(check(s, r, 1001).allowed);
}

TEST(rate_limiter, window_weights_the_previous_window_by_the_part_still_covered) {
  rate_state s;
  rate_rule r = window(10, 1000);
  EXPECT_EQ(allowed_count(s, r, 0, 10), 10);
  // At 1400 the previous window still covers 60%: 10 x 0.6 = 6, so 4 more fit (6+3 < 10, 6+4
  // is not).
  EXPECT_EQ(allowed_count(s, r, 1400, 10), 4);
  // At 1800: 10 x 0.2 + 4 = 6, so 4 more.
  EXPECT_EQ(allowed_count(s, r, 1800, 10), 4);
  // At 2000 the window rolls: previous = 8 at full weight, so 2 more (8 + 0 and 8 + 1 < 10).
  EXPECT_EQ(allowed_count(s, r, 2000, 10), 2);
}

TEST(rate_limiter, sustained_rate_under_constant_pressure_matches_the_window) {
  rate_state s;
  rate_rule r = window(100, 1000);
  int n = 0;
  for (std::int64_t t = 0; t < 60000; t++) n += check(s, r, t).allowed;
  // 60 windows of at most 100; the weighted estimate lets the first window's 100 through and
  // then holds the rate to window_max per window_ms.
  EXPECT_GE(n, 5900);
  EXPECT_LE(n, 6100);
}

TEST(rate_limiter, both_limits_must_allow_and_the_retry_waits_for_the_later) {
  rate_state s;
  rate_rule r = both(100, 100, 5, 10000);  // bucket generous, window strict
  EXPECT_EQ(allowed_count(s, r, 0, 10), 5);
  decision d = check(s, r, 0);
  EXPECT_GT(d.retry_after_ms, 10000);  // the window's wait, not the bucket's 0
  expect_exact_retry(s, r, 0, d);

  rate_state s2;
  rate_rule r2 = both(1, 0.5, 100, 1000);  // window generous, bucket strict: 2 s per token
  EXPECT_TRUE(check(s2, r2, 0).allowed);
  decision d2 = check(s2, r2, 0);
  EXPECT_EQ(d2.retry_after_ms, 2000);
  expect_exact_retry(s2, r2, 0, d2);
}

TEST(rate_limiter, retry_after_is_exact_for_random_rules_and_arrivals) {
  std::uint64_t x = 12345;
  auto next = [&x](std::uint64_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x % n;
  };
  int refusals = 0;
  for (int rule_i = 0; rule_i < 300; rule_i++) {
    rate_rule r;
    int kind = rule_i % 3;  // bucket only, window only, both
    if (kind != 1) {
      r.burst = 1 + static_cast<double>(next(20));
      r.per_second = 0.1 + static_cast<double>(next(5000)) / 100.0;
    }
    if (kind != 0) {
      r.window_max = 1 + static_cast<std::uint32_t>(next(30));
      r.window_ms = 1 + static_cast<std::int64_t>(next(5000));
    }
    rate_state s;
    std::int64_t t = static_cast<std::int64_t>(next(1000000));
    for (int i = 0; i < 300; i++) {
      t += static_cast<std::int64_t>(next(i % 7 == 0 ? 3000 : 40));
      const rate_state before = s;
      decision d = check(s, r, t);
      if (!d.allowed) {
        refusals++;
        expect_exact_retry(before, r, t, d);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  EXPECT_GT(refusals, 10000);  // the property was exercised, not skipped
}

TEST(rate_limiter, clock_going_backwards_counts_as_no_time_passed) {
  rate_state s;
  rate_rule r = bucket(2, 1);
  EXPECT_EQ(allowed_count(s, r, 10000, 2), 2);
  decision back = check(s, r, 4000);  // 6 s back: no refill, and honest from the earlier clock
  EXPECT_FALSE(back.allowed);
  EXPECT_EQ(back.retry_after_ms, 7000);
  expect_exact_retry(s, r, 4000, back);
  EXPECT_FALSE(check(s, r, 10999).allowed);  // going back did not move the refill anchor
  EXPECT_TRUE(check(s, r, 11000).allowed);

  rate_state w;
  rate_rule wr = window(3, 1000);
  EXPECT_EQ(allowed_count(w, wr, 5000, 3), 3);
  EXPECT_EQ(allowed_count(w, wr, 100, 3), 0);  // back in time: still the same window, full
  decision d = check(w, wr, 100);
  expect_exact_retry(w, wr, 100, d);
}

TEST(rate_limiter, huge_gaps_refill_to_the_burst_and_no_further) {
  rate_state s;
  rate_rule r = both(4, 1000, 50, 1000);
  EXPECT_EQ(allowed_count(s, r, 0, 10), 4);
  const std::int64_t later = std::int64_t{1} << 50;  // ~35,000 years on
  EXPECT_EQ(allowed_count(s, r, later, 10), 4);
  decision d = check(s, r, later);
  EXPECT_EQ(d.retry_after_ms, 1);
  expect_exact_retry(s, r, later, d);
  // Timestamps far from zero either way keep working.
  rate_state n;
  EXPECT_EQ(allowed_count(n, r, -(std::int64_t{1} << 50), 10), 4);
  EXPECT_EQ(allowed_count(n, r, std::int64_t{1} << 52, 10), 4);
}

TEST(rate_limiter, a_bucket_that_never_refills_says_so) {
  rate_state s;
  rate_rule r = bucket(3, 0);  // a quota of 3
  EXPECT_EQ(allowed_count(s, r, 0, 10), 3);
  decision d = check(s, r, 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after_ms, std::int64_t{1} << 30);
  EXPECT_FALSE(check(s, r, std::int64_t{1} << 40).allowed);
}

TEST(rate_limiter, disabled_rule_allows_everything_and_keeps_no_state) {
  rate_state s;
  rate_rule r;
  EXPECT_FALSE(r.enabled());
  EXPECT_EQ(allowed_count(s, r, 0, 1000), 1000);
  EXPECT_EQ(s.flags, 0u);
  EXPECT_TRUE(is_idle(s, r, 0));
  // A window length without a maximum (or the reverse) disables the window.
  rate_rule half = window(0, 1000);
  EXPECT_EQ(allowed_count(s, half, 0, 100), 100);
  rate_rule no_length = window(5, 0);
  EXPECT_EQ(allowed_count(s, no_length, 0, 100), 100);
}

TEST(rate_limiter, is_idle_once_the_bucket_is_full_and_both_windows_have_passed) {
  rate_rule r = both(2, 1, 10, 1000);
  rate_state s;
  EXPECT_TRUE(is_idle(s, r, 0));
  ASSERT_TRUE(check(s, r, 0).allowed);
  EXPECT_FALSE(is_idle(s, r, 0));
  EXPECT_FALSE(is_idle(s, r, 999));   // bucket full again only at 1000
  EXPECT_FALSE(is_idle(s, r, 1500));  // bucket full, but the previous window still counts
  EXPECT_TRUE(is_idle(s, r, 2000));

  rate_rule b = bucket(2, 1);
  rate_state sb;
  ASSERT_TRUE(check(sb, b, 0).allowed);
  EXPECT_FALSE(is_idle(sb, b, 999));
  EXPECT_TRUE(is_idle(sb, b, 1000));

  rate_rule w = window(5, 100);
  rate_state sw;
  ASSERT_TRUE(check(sw, w, 0).allowed);
  EXPECT_FALSE(is_idle(sw, w, 199));
  EXPECT_TRUE(is_idle(sw, w, 200));
}

TEST(rate_limiter, an_idle_state_behaves_like_a_fresh_one) {
  rate_rule r = both(3, 2, 6, 1000);
  rate_state used;
  for (std::int64_t t = 0; t < 5000; t += 50) check(used, r, t);
  std::int64_t t = 5000;
  while (!is_idle(used, r, t)) t++;
  t += 333;  // off the old window's boundaries
  rate_state fresh;
  for (int i = 0; i < 40; i++, t += 37) {
    decision a = check(used, r, t);
    decision b = check(fresh, r, t);
    ASSERT_EQ(a.allowed, b.allowed) << i;
    ASSERT_EQ(a.retry_after_ms, b.retry_after_ms) << i;
    ASSERT_TRUE(same(used, fresh)) << i;
  }
}

}  // namespace
}  // namespace sb::limiter
