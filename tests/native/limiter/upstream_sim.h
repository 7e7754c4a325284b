// A simulated upstream (an LLM API with a hidden, changing capacity) and a discrete-event loop,
// 1 ms per step, that drives an adaptive_limit against it with unbounded demand. Deterministic:
// no real clock, no sleeps, a fixed-seed generator for latency jitter.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "limiter/adaptive.h"

namespace sb::limiter::sim {

enum class upstream_kind {
  // Refuses (429, after reject_ms) a request that would make more than `capacity` in flight;
  // below that, latency = base x (1 + knee_rise x (n / capacity)^knee_power): flat at light load,
  // rising near capacity as batching and queueing set in.
  reject_over_capacity,
  // Never refuses: `capacity` workers serve a FIFO queue, each request taking `base` of work,
  // so latency = base up to the knee and grows by Little's law past it.
  queue_past_capacity,
};

struct upstream_options {
  upstream_kind kind = upstream_kind::reject_over_capacity;
  int capacity = 50;
  double base_ms = 200;
  double jitter = 0.1;  // latency x uniform(1 - jitter, 1 + jitter)
  double knee_rise = 0.6;
  double knee_power = 6;
  std::int64_t reject_ms = 1;
};

struct sample {
  std::int64_t at_ms;
  int limit;
  int client_in_flight;    // slots taken at the client (sent, not yet answered)
  int upstream_in_flight;  // requests the upstream is working on (refused ones excluded)
};

class simulation {
 public:
  explicit simulation(upstream_options u, adaptive_options a = {}) : up_(u), limit_(a) {}

  upstream_options& upstream() { return up_; }
  /** The most requests the caller wants in flight at once (unbounded by default). */
  void set_demand(int n) { demand_ = n; }
  const adaptive_limit& limiter() const { return limit_; }
  std::int64_t now() const { return now_; }
  std::uint64_t successes() const { return successes_; }
  std::uint64_t overloads() const { return overloads_; }

  /** Runs `ms` steps; `each` sees the state at the end of every step. */
  void run(std::int64_t ms, const std::function<void(const sample&)>& each = {}) {
    for (std::int64_t end = now_ + ms; now_ < end; now_++) {
      deliver();
      send();
      if (each) each({now_, limit_.limit(), limit_.in_flight(), upstream_in_flight_});
    }
  }

 private:
  struct event {
    std::int64_t at_ms;
    std::int64_t latency_ms;  // < 0: a 429
    bool operator>(const event& o) const { return at_ms > o.at_ms; }
  };

  double uniform() {  // xorshift64*, fixed seed
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return static_cast<double>((rng_ * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
  }
  double jittered(double ms) { return ms * (1 + up_.jitter * (2 * uniform() - 1)); }

  void deliver() {
    while (!events_.empty() && events_.top().at_ms <= now_) {
      event e = events_.top();
      events_.pop();
      if (e.latency_ms < 0) {
        overloads_++;
        limit_.on_overload(now_);
      } else {
        successes_++;
        if (up_.kind == upstream_kind::reject_over_capacity) upstream_in_flight_--;
        limit_.on_success(e.latency_ms, now_);
      }
    }
    if (up_.kind == upstream_kind::queue_past_capacity) {
      while (!busy_until_.empty() && busy_until_.top() <= now_) busy_until_.pop();
      while (!waiting_.empty() && waiting_.top() <= now_) waiting_.pop();
      upstream_in_flight_ = static_cast<int>(waiting_.size());
    }
  }

  void send() {
    while (limit_.in_flight() < demand_ && limit_.try_acquire()) {
      if (up_.kind == upstream_kind::reject_over_capacity) {
        if (upstream_in_flight_ >= up_.capacity) {
          events_.push({now_ + up_.reject_ms, -1});
          continue;
        }
        int n = ++upstream_in_flight_;
        double load = static_cast<double>(n) / up_.capacity;
        double ms = jittered(up_.base_ms) * (1 + up_.knee_rise * std::pow(load, up_.knee_power));
        auto latency = std::max<std::int64_t>(1, std::llround(ms));
        events_.push({now_ + latency, latency});
      } else {
        // The earliest free worker takes it (workers beyond `capacity` have gone: the capacity
        // can drop while they are busy; they finish their request but take no new one).
        std::int64_t start = now_;
        if (static_cast<int>(busy_until_.size()) >= up_.capacity) {
          while (static_cast<int>(busy_until_.size()) > up_.capacity) busy_until_.pop();
          start = std::max(now_, busy_until_.top());
          busy_until_.pop();
        }
        auto done = start + std::max<std::int64_t>(1, std::llround(jittered(up_.base_ms)));
        busy_until_.push(done);
        waiting_.push(done);
        upstream_in_flight_ = static_cast<int>(waiting_.size());
        events_.push({done, done - now_});
      }
    }
  }

  upstream_options up_;
  adaptive_limit limit_;
  std::int64_t now_ = 0;
  std::uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  std::priority_queue<event, std::vector<event>, std::greater<event>> events_;
  // queue_past_capacity: when each worker is next free, and when each accepted request ends.
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> busy_until_;
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> waiting_;
  int upstream_in_flight_ = 0;
  int demand_ = 1 << 30;
  std::uint64_t successes_ = 0, overloads_ = 0;
};

}  // namespace sb::limiter::sim
