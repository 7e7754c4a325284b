// adaptive_limit and adaptive_throttle, unit behaviour on a simulated clock. The limit against a
// simulated upstream is in adaptive_sim_test.cpp.
#include "limiter/adaptive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

namespace sb::limiter {
namespace {

adaptive_options limits(double initial, double min = 1, double max = 512, double backoff = 0.75) {
  adaptive_options o;
  o.initial_limit = initial;
  o.min_limit = min;
  o.max_limit = max;
  o.backoff = backoff;
  return o;
}

throttle_options throttling(double k, std::int64_t window_ms = 120000,
                            std::int64_t bucket_ms = 1000) {
  throttle_options o;
  o.k = k;
  o.window_ms = window_ms;
  o.bucket_ms = bucket_ms;
  return o;
}

// Answers every request in flight with `latency_ms` at `now`, taking a freed slot again after
// each answer, as a caller with more work than slots does: one round trip.
void saturated_round(adaptive_limit& l, std::int64_t latency_ms, std::int64_t now) {
  int n = l.in_flight();
  for (int i = 0; i < n; i++) {
    l.on_success(latency_ms, now);
    while (l.try_acquire()) {
    }
  }
}

TEST(adaptive_limit, caps_in_flight_at_the_limit_and_every_outcome_frees_a_slot) {
  adaptive_limit l(limits(3));
  EXPECT_TRUE(l.try_acquire());
  EXPECT_TRUE(l.try_acquire());
  EXPECT_TRUE(l.try_acquire());
  EXPECT_FALSE(l.try_acquire());
  EXPECT_EQ(l.in_flight(), 3);
  l.on_ignore();
  EXPECT_TRUE(l.try_acquire());
  l.on_success(100, 0);
  l.on_overload(0);
  l.on_ignore();
  EXPECT_EQ(l.in_flight(), 0);
  l.on_ignore();  // an unmatched release does not go negative
  EXPECT_EQ(l.in_flight(), 0);
}

TEST(adaptive_limit, limit_stays_within_min_and_max) {
  adaptive_limit low(limits(0.2, 2, 4));
  EXPECT_EQ(low.limit(), 2);
  for (int i = 0; i < 50; i++) low.on_overload(i * 1000LL);
  EXPECT_EQ(low.limit(), 2);
  EXPECT_DOUBLE_EQ(low.raw_limit(), 2);

  adaptive_limit high(limits(100, 2, 4));
  EXPECT_EQ(high.limit(), 4);
  // Unloaded answers with every slot in use would grow it: the maximum holds.
  for (int i = 0; i < 100; i++) {
    while (high.try_acquire()) {
    }
    high.on_success(100, i);
  }
  EXPECT_EQ(high.limit(), 4);

  adaptive_limit zero(limits(0, 0));
  EXPECT_EQ(zero.limit(), 1);  // a limit of 0 could never measure its way back up
}

TEST(adaptive_limit, a_burst_of_overloads_from_one_round_trip_cuts_once) {
  adaptive_limit l(limits(40, 1, 512, 0.5));
  l.try_acquire();
  l.on_success(200, 0);  // baseline 200 ms: the round trip
  for (int i = 0; i < 30; i++) l.try_acquire();
  for (int i = 0; i < 30; i++) l.on_overload(1000 + i);
  EXPECT_NEAR(l.raw_limit(), 20, 0.5);
  l.on_overload(1199);
  EXPECT_NEAR(l.raw_limit(), 20, 0.5);
  l.on_overload(1200);  // a round trip later: a new round, a new cut
  EXPECT_NEAR(l.raw_limit(), 10, 0.5);
}

TEST(adaptive_limit, before_any_latency_overloads_are_grouped_by_a_default_round_trip) {
  adaptive_limit l(limits(64, 1, 512, 0.5));
  for (int i = 0; i < 10; i++) l.on_overload(i);
  EXPECT_EQ(l.limit(), 32);
  l.on_overload(100);
  EXPECT_EQ(l.limit(), 16);
}

TEST(adaptive_limit, baseline_is_the_lowest_latency_within_the_window) {
  adaptive_limit l;  // baseline_window_ms = 30000
  EXPECT_EQ(l.baseline_ms(), 0);
  l.on_success(300, 0);
  EXPECT_EQ(l.baseline_ms(), 300);
  l.on_success(100, 1000);
  l.on_success(200, 2000);
  l.on_success(400, 3000);
  EXPECT_EQ(l.baseline_ms(), 100);
  l.on_success(250, 30999);
  EXPECT_EQ(l.baseline_ms(), 100);
  l.on_success(250, 31000);  // the 100 ms sample is 30 s old: the next lowest takes over
  EXPECT_EQ(l.baseline_ms(), 200);
  l.on_success(500, 32000);
  EXPECT_EQ(l.baseline_ms(), 250);
}

TEST(adaptive_limit, a_zero_baseline_window_uses_the_latest_answer_and_does_not_collapse) {
  adaptive_options o = limits(10);
  o.baseline_window_ms = 0;
  adaptive_limit l(o);
  while (l.try_acquire()) {
  }
  for (int round = 1; round <= 10; round++)
    saturated_round(l, round % 2 ? 130 : 100, round * 100LL);
  EXPECT_EQ(l.baseline_ms(), 100);  // the last answer's
  EXPECT_GE(l.limit(), 10);
}

TEST(adaptive_limit, grows_while_latency_stays_at_baseline_and_the_slots_are_used) {
  adaptive_limit l(limits(10));
  while (l.try_acquire()) {
  }
  for (int round = 1; round <= 5; round++) saturated_round(l, 100, round * 100LL);
  // x1.25 per round trip at baseline latency (tolerance 1.5, half steps): 10 -> ~30.
  EXPECT_GE(l.limit(), 25);
  EXPECT_LE(l.limit(), 35);
}

// With few slots a round trip brings few answers (one, at a limit of 1.9): the step per answer
// is scaled so that the growth per round trip stays x1.25, as at large limits.
TEST(adaptive_limit, grows_from_a_limit_of_one_as_fast_per_round_trip_as_from_many) {
  adaptive_limit l(limits(1));
  while (l.try_acquire()) {
  }
  for (int round = 1; round <= 16; round++) saturated_round(l, 100, round * 100LL);
  EXPECT_GE(l.limit(), 30);  // 1.25^16 = 35.5; 24 if each answer took the same step
  EXPECT_LE(l.limit(), 60);
}

TEST(adaptive_limit, an_app_limited_caller_does_not_inflate_the_limit) {
  adaptive_limit l(limits(10));
  for (int i = 0; i < 10000; i++) {
    ASSERT_TRUE(l.try_acquire());  // one request at a time
    l.on_success(100, i * 100LL);
  }
  EXPECT_EQ(l.limit(), 10);
}

TEST(adaptive_limit, shrinks_when_latency_rises_past_tolerance_times_baseline) {
  adaptive_limit l(limits(40));
  l.try_acquire();
  l.on_success(100, 0);  // baseline 100 ms
  while (l.try_acquire()) {
  }
  // 3x baseline, twice the target: x0.75 per round trip once the smoothed latency is there.
  for (int round = 1; round <= 5; round++) saturated_round(l, 300, round * 300LL);
  EXPECT_LT(l.limit(), 20);
  EXPECT_GT(l.limit(), 5);
}

// ---- adaptive_throttle ----

TEST(adaptive_throttle, never_refuses_while_everything_is_accepted) {
  adaptive_throttle t;
  for (int i = 0; i < 10000; i++) {
    ASSERT_FALSE(t.should_reject(0.0, i * 10LL));
    t.record(true, i * 10LL);
  }
  EXPECT_EQ(t.reject_probability(100000), 0.0);
}

TEST(adaptive_throttle, probability_rises_as_accepts_fall) {
  double last = 0;
  for (int accepted_pct : {60, 50, 40, 30, 20, 10, 0}) {
    adaptive_throttle t(throttling(2));
    for (int i = 0; i < 1000; i++) t.record(i % 100 < accepted_pct, i);
    double p = t.reject_probability(1000);
    // (requests - 2 accepts) / (requests + 1)
    EXPECT_NEAR(p, std::max(0.0, (1000 - 2 * 10.0 * accepted_pct) / 1001), 1e-9);
    EXPECT_GE(p, last);
    last = p;
  }
  EXPECT_GT(last, 0.99);
}

TEST(adaptive_throttle, should_reject_follows_the_probability) {
  adaptive_throttle t(throttling(2));
  for (int i = 0; i < 100; i++) t.record(i < 25, 0);  // p = (100 - 50) / 101
  const double p = t.reject_probability(0);
  EXPECT_NEAR(p, 50.0 / 101, 1e-9);
  EXPECT_FALSE(t.should_reject(p + 0.01, 0));
  EXPECT_TRUE(t.should_reject(p - 0.01, 0));
  EXPECT_FALSE(t.should_reject(0.999, 0));
  EXPECT_TRUE(t.should_reject(0.0, 0));
  // Only record() counts: deciding changes nothing.
  EXPECT_NEAR(t.reject_probability(0), p, 1e-12);
}

TEST(adaptive_throttle, forgets_after_the_window) {
  adaptive_throttle t(throttling(2, 10000, 1000));
  for (int i = 0; i < 100; i++) t.record(false, 500);
  EXPECT_GT(t.reject_probability(500), 0.98);
  EXPECT_GT(t.reject_probability(9999), 0.98);
  EXPECT_EQ(t.reject_probability(10000), 0.0);  // its bucket [0, 1000) has left the window
  // Oldest buckets go first.
  adaptive_throttle g(throttling(2, 10000, 1000));
  for (int s = 0; s < 5; s++) {
    for (int i = 0; i < 100; i++) g.record(false, s * 1000LL);
  }
  EXPECT_NEAR(g.reject_probability(12000), 200.0 / 201, 1e-9);
  EXPECT_EQ(g.reject_probability(15000), 0.0);
}

TEST(adaptive_throttle, a_clock_going_back_counts_into_the_newest_bucket) {
  adaptive_throttle t(throttling(2, 10000, 1000));
  for (int i = 0; i < 50; i++) t.record(false, 5000);
  for (int i = 0; i < 50; i++) t.record(false, 1000);  // back in time
  EXPECT_NEAR(t.reject_probability(1000), 100.0 / 101, 1e-9);
  EXPECT_EQ(t.reject_probability(15000), 0.0);
}

// An upstream that accepts 100 requests per second against 1000 offered: the client sends
// about sqrt(k x 100 x 1000) = 450/s (see adaptive.cpp), refuses the rest locally, and once the
// upstream recovers lets everything through again within one window.
TEST(adaptive_throttle, sheds_most_of_an_overload_locally_then_recovers_within_a_window) {
  adaptive_throttle t(throttling(2, 10000, 1000));
  std::uint64_t x = 7;
  auto uniform = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>(x >> 11) * 0x1.0p-53;
  };
  long sent = 0, accepted_count = 0;
  double room = 20;  // the upstream's own token bucket: 100/s, bursts of 20
  for (std::int64_t ms = 0; ms < 60000; ms++) {
    room = std::min(20.0, room + 0.1);
    if (t.should_reject(uniform(), ms)) continue;  // one attempt per ms: 1000/s offered
    bool accepted = room >= 1;
    if (accepted) room -= 1;
    t.record(accepted, ms);
    if (ms >= 40000) {
      sent++;
      accepted_count += accepted;
    }
  }
  std::printf("[ throttle ] upstream takes 100/s of 1000/s offered: %.0f/s sent, %.0f/s taken\n",
              sent / 20.0, accepted_count / 20.0);
  EXPECT_GT(sent / 20.0, 300);
  EXPECT_LT(sent / 20.0, 600);
  EXPECT_GT(accepted_count / 20.0, 95);
  // The upstream recovers: within one window the throttle lets everything through again.
  std::int64_t last_refusal = 0;
  for (std::int64_t ms = 60000; ms < 90000; ms++) {
    if (t.should_reject(uniform(), ms)) {
      last_refusal = ms;
      continue;
    }
    t.record(true, ms);
  }
  std::printf("[ throttle ] after the upstream recovered at 60 s, last refusal at %lld ms\n",
              static_cast<long long>(last_refusal));
  EXPECT_LT(last_refusal, 60000 + 10000);
  EXPECT_EQ(t.reject_probability(90000), 0.0);
}

// A full outage: the client still sends a trickle to find out when it ends.
TEST(adaptive_throttle, keeps_probing_through_a_full_outage) {
  adaptive_throttle t(throttling(2, 10000, 1000));
  std::uint64_t x = 99;
  auto uniform = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>(x >> 11) * 0x1.0p-53;
  };
  long sent_last_10s = 0;
  for (std::int64_t ms = 0; ms < 60000; ms++) {
    if (t.should_reject(uniform(), ms)) continue;
    t.record(false, ms);
    if (ms >= 50000) sent_last_10s++;
  }
  std::printf("[ throttle ] full outage, 1000/s offered: %.1f/s sent\n", sent_last_10s / 10.0);
  EXPECT_GT(sent_last_10s, 10);    // still probing, more than once a second
  EXPECT_LT(sent_last_10s, 2000);  // but under 20% of the offered load
}

}  // namespace
}  // namespace sb::limiter
