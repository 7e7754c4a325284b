// The adaptive limit learned against a simulated upstream (upstream_sim.h) whose capacity
// changes, on a simulated 1 ms clock: convergence times, overshoot, drift, recovery. Each test
// prints what it measured.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "limiter/adaptive.h"
#include "upstream_sim.h"

namespace sb::limiter {
namespace {

struct phase_result {
  int capacity;
  std::int64_t converged_ms = -1;  // from then to the phase's end the limit stayed in the band
  int max_client_in_flight_after = 0;
  int max_upstream_in_flight_after = 0;
  int min_limit_after = 1 << 30, max_limit_after = 0;
  std::uint64_t overloads_after = 0, overloads = 0;
  double mean_limit_last_half = 0;
};

// Runs `ms` with the upstream at `capacity`; the band is capacity +- band x capacity.
phase_result run_phase(sim::simulation& s, int capacity, std::int64_t ms, double band) {
  s.upstream().capacity = capacity;
  phase_result r{capacity};
  const std::int64_t t0 = s.now();
  std::vector<sim::sample> samples;
  samples.reserve(static_cast<std::size_t>(ms));
  std::vector<std::uint64_t> overloads_by_ms;
  overloads_by_ms.reserve(static_cast<std::size_t>(ms));
  s.run(ms, [&](const sim::sample& x) {
    samples.push_back(x);
    overloads_by_ms.push_back(s.overloads());
  });
  const double lo = capacity * (1 - band), hi = capacity * (1 + band);
  std::size_t from = samples.size();
  while (from > 0 && samples[from - 1].limit >= lo && samples[from - 1].limit <= hi) from--;
  double sum = 0;
  for (std::size_t i = samples.size() / 2; i < samples.size(); i++) sum += samples[i].limit;
  const std::size_t half = samples.size() - samples.size() / 2;
  r.mean_limit_last_half = sum / static_cast<double>(half);
  r.overloads = overloads_by_ms.back() - (overloads_by_ms.front());
  if (from == samples.size()) return r;
  r.converged_ms = samples[from].at_ms - t0;
  for (std::size_t i = from; i < samples.size(); i++) {
    r.max_client_in_flight_after =
        std::max(r.max_client_in_flight_after, samples[i].client_in_flight);
    r.max_upstream_in_flight_after =
        std::max(r.max_upstream_in_flight_after, samples[i].upstream_in_flight);
    r.min_limit_after = std::min(r.min_limit_after, samples[i].limit);
    r.max_limit_after = std::max(r.max_limit_after, samples[i].limit);
  }
  r.overloads_after = overloads_by_ms.back() - overloads_by_ms[from];
  return r;
}

void print(const char* label, const phase_result& r) {
  if (r.converged_ms < 0) {
    std::printf("[ adaptive ] %-28s C=%-3d never converged; mean limit, last half %.1f\n", label,
                r.capacity, r.mean_limit_last_half);
    return;
  }
  std::printf(
      "[ adaptive ] %-28s C=%-3d converged in %6lld ms; after: limit %d..%d, client in flight "
      "<= %d, 429s %llu (phase %llu); mean limit, last half %.1f\n",
      label, r.capacity, static_cast<long long>(r.converged_ms), r.min_limit_after,
      r.max_limit_after, r.max_client_in_flight_after,
      static_cast<unsigned long long>(r.overloads_after),
      static_cast<unsigned long long>(r.overloads), r.mean_limit_last_half);
}

class adaptive_vs_rejecting_upstream : public ::testing::TestWithParam<double> {};

// Capacity 50, then 10, then 50 again; requests take base_ms (+-10%) unloaded, up to 1.6x at
// capacity, and are refused with a 429 in 1 ms beyond it. Demand is unbounded.
TEST_P(adaptive_vs_rejecting_upstream, limit_follows_capacity_down_and_up) {
  sim::upstream_options u;
  u.base_ms = GetParam();
  sim::simulation s(u);
  char label[64];

  phase_result up = run_phase(s, 50, 10000, 0.2);
  std::snprintf(label, sizeof label, "base %.0f ms: start (16)", u.base_ms);
  print(label, up);
  phase_result down = run_phase(s, 10, 10000, 0.2);
  std::snprintf(label, sizeof label, "base %.0f ms: 50 -> 10", u.base_ms);
  print(label, down);
  phase_result back = run_phase(s, 50, 15000, 0.2);
  std::snprintf(label, sizeof label, "base %.0f ms: 10 -> 50", u.base_ms);
  print(label, back);

  for (const phase_result* r : {&up, &down, &back}) {
    ASSERT_GE(r->converged_ms, 0) << "capacity " << r->capacity;
    // Once converged, what is sent stays within 20% of what the upstream can take, and the
    // upstream is rarely overrun (a few 429s per probe at most).
    EXPECT_LE(r->max_client_in_flight_after, r->capacity * 1.2) << r->capacity;
    EXPECT_LE(r->overloads_after, 20u) << r->capacity;
  }
  EXPECT_LE(up.converged_ms, 5000);
  EXPECT_LE(down.converged_ms, 5000);
  EXPECT_LE(back.converged_ms, 10000);
  EXPECT_NEAR(up.mean_limit_last_half, 50, 5);  // within 10% on average
  EXPECT_NEAR(back.mean_limit_last_half, 50, 5);
}

INSTANTIATE_TEST_SUITE_P(base_latency, adaptive_vs_rejecting_upstream,
                         ::testing::Values(100.0, 200.0, 300.0, 500.0), [](const auto& info) {
                           return std::to_string(static_cast<int>(info.param)) + "ms";
                         });

sim::upstream_options queueing_upstream(double base_ms) {
  sim::upstream_options u;
  u.kind = sim::upstream_kind::queue_past_capacity;
  u.base_ms = base_ms;
  return u;
}

// No 429s ever: 50 workers and a queue, so latency is flat up to 50 in flight and grows by
// Little's law past it. The limit should settle past the knee by no more than the latency
// tolerance allows (1.5x baseline, the baseline being the fastest answer, 10% under typical).
TEST(adaptive_vs_queueing_upstream, limit_settles_near_the_knee) {
  for (double tolerance : {1.5, 1.2}) {
    adaptive_options a;
    a.tolerance = tolerance;
    sim::simulation s(queueing_upstream(200), a);
    phase_result r = run_phase(s, 50, 20000, tolerance - 1);
    char label[64];
    std::snprintf(label, sizeof label, "queueing, tolerance %.1f", tolerance);
    print(label, r);
    EXPECT_GE(r.mean_limit_last_half, 50 * 0.95) << tolerance;
    EXPECT_LE(r.mean_limit_last_half, 50 * tolerance) << tolerance;
    EXPECT_GE(r.converged_ms, 0) << tolerance;
    EXPECT_LE(r.converged_ms, 5000) << tolerance;
  }
}

// Sustained load fills the baseline window with loaded samples; without the probe the
// "baseline" rose with them every 30 s and the limit ran away (to 150+ in 3 minutes).
TEST(adaptive_vs_queueing_upstream, limit_does_not_drift_up_under_sustained_load) {
  sim::simulation s(queueing_upstream(200));
  int max_limit = 0;
  double sum_last_minute = 0;
  s.run(180000, [&](const sim::sample& x) {
    if (x.at_ms > 10000) max_limit = std::max(max_limit, x.limit);
    if (x.at_ms >= 120000) sum_last_minute += x.limit;
  });
  std::printf("[ adaptive ] queueing, 3 minutes: max limit %d, mean of the last minute %.1f\n",
              max_limit, sum_last_minute / 60000);
  EXPECT_LE(max_limit, 50 * 1.6);
  EXPECT_LE(sum_last_minute / 60000, 50 * 1.5);
  EXPECT_GE(sum_last_minute / 60000, 50 * 1.0);
  EXPECT_LE(s.limiter().baseline_ms(), 200);
}

TEST(adaptive_vs_rejecting_upstream_long, few_429s_and_no_drift_over_three_minutes) {
  sim::upstream_options u;
  u.base_ms = 200;
  sim::simulation s(u);
  s.run(10000);
  std::uint64_t before = s.overloads(), successes = s.successes();
  int min_limit = 1 << 30, max_limit = 0;
  s.run(170000, [&](const sim::sample& x) {
    min_limit = std::min(min_limit, x.limit);
    max_limit = std::max(max_limit, x.limit);
  });
  std::uint64_t overloads = s.overloads() - before;
  std::printf("[ adaptive ] rejecting, 3 minutes: limit %d..%d, %llu 429s for %llu answers\n",
              min_limit, max_limit, static_cast<unsigned long long>(overloads),
              static_cast<unsigned long long>(s.successes() - successes));
  EXPECT_LE(max_limit, 55);
  EXPECT_GE(min_limit, 25);  // probes dip to ~0.6x, once per 15 s at most
  EXPECT_LE(overloads * 1000, s.successes() - successes);  // under 0.1%
}

// A lasting slowdown of the upstream itself looks like load until the baseline window (30 s)
// lets the old minimum go: the limit falls, then recovers.
TEST(adaptive_vs_queueing_upstream, recovers_after_the_upstream_itself_slows_down) {
  sim::simulation s(queueing_upstream(200));
  s.run(20000);
  s.upstream().base_ms = 400;
  std::int64_t recovered_at = -1;
  s.run(60000, [&](const sim::sample& x) {
    if (recovered_at < 0 && x.at_ms > 25000 && x.limit >= 45) recovered_at = x.at_ms - 20000;
  });
  std::printf("[ adaptive ] queueing, base 200 -> 400 ms: back to >= 45 after %lld ms\n",
              static_cast<long long>(recovered_at));
  ASSERT_GE(recovered_at, 0);
  EXPECT_LE(recovered_at, 30000 + 15000);
  EXPECT_GE(s.limiter().limit(), 45);
  EXPECT_LE(s.limiter().limit(), 80);
}

TEST(adaptive_vs_rejecting_upstream_long, an_app_limited_caller_keeps_a_modest_limit) {
  sim::upstream_options u;
  sim::simulation s(u);
  s.set_demand(8);
  s.run(60000);
  EXPECT_LE(s.limiter().limit(), 16);
  EXPECT_EQ(s.overloads(), 0u);
  // Demand then jumps: the limit is not a stale, inflated one, and it finds the capacity.
  s.set_demand(1 << 30);
  phase_result r = run_phase(s, 50, 10000, 0.2);
  print("app-limited, then unbounded", r);
  EXPECT_LE(r.converged_ms, 5000);
}

}  // namespace
}  // namespace sb::limiter
