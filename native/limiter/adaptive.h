// Adaptive concurrency for an upstream whose capacity is unknown and changes: a limit on
// requests in flight learned from what the requests measure. Latency (time to first token)
// against a no-load baseline moves it smoothly (a gradient, as in Netflix's concurrency-limits
// Gradient2 and Envoy's adaptive concurrency); overload signals (429, 5xx, timeouts) cut it
// multiplicatively (AIMD). Plus Google SRE's client-side adaptive throttling: after errors,
// refuse locally with probability max(0, (requests - K * accepts) / (requests + 1)).
// Single-threaded (the AI client's thread); pure functions of the clock passed in.
#pragma once

#include <cstdint>
#include <deque>

namespace sb::limiter {

struct adaptive_options {
  double initial_limit = 16;
  double min_limit = 1;
  double max_limit = 512;
  double backoff = 0.75;   // limit *= backoff on an overload signal (at most once per rtt)
  double tolerance = 1.5;  // latency up to tolerance x baseline counts as unloaded
  double smoothing = 0.2;  // weight of a new estimate
  std::int64_t baseline_window_ms = 30000;  // the baseline is the lowest latency seen this long
};

class adaptive_limit {
 public:
  explicit adaptive_limit(adaptive_options o = {});

  /** Takes a slot if fewer than limit() are in flight. */
  bool try_acquire();
  /** The request of an acquired slot ended: */
  void on_success(std::int64_t latency_ms, std::int64_t now_ms);  // answered; latency = TTFT
  void on_overload(std::int64_t now_ms);  // 429, 5xx, connect error, timeout
  void on_ignore();                       // cancelled, or a failure that says nothing of load

  int limit() const;  // whole requests allowed in flight now (>= min_limit)
  double raw_limit() const { return limit_; }
  int in_flight() const { return in_flight_; }
  double baseline_ms() const;  // 0 until measured

 private:
  adaptive_options o_;
  double limit_;
  int in_flight_ = 0;
  std::int64_t last_cut_ms_ = -1;
  double smoothed_latency_ = 0;
  struct sample {
    std::int64_t at_ms;
    double latency_ms;
  };
  std::deque<sample> window_;  // monotonic min-queue of latencies within baseline_window_ms
};

struct throttle_options {
  double k = 2.0;                   // accepts needed per request before refusing: 2 = lenient
  std::int64_t window_ms = 120000;  // history considered
  std::int64_t bucket_ms = 1000;    // its resolution
};

class adaptive_throttle {
 public:
  explicit adaptive_throttle(throttle_options o = {});
  /** The probability a new request should be refused locally now. */
  double reject_probability(std::int64_t now_ms);
  /** Refuse? `random01` is uniform in [0, 1) (passed in to keep this deterministic in tests). */
  bool should_reject(double random01, std::int64_t now_ms);
  /** A request that was sent ended: `accepted` unless the upstream signalled overload. */
  void record(bool accepted, std::int64_t now_ms);

 private:
  void roll(std::int64_t now_ms);
  throttle_options o_;
  struct bucket {
    std::int64_t start_ms;
    std::uint32_t requests, accepts;
  };
  std::deque<bucket> buckets_;
  std::uint64_t requests_ = 0, accepts_ = 0;  // sums over buckets_
};

}  // namespace sb::limiter
