// Admission to one upstream (base URL + model): an adaptive limit on requests in flight
// (limiter/adaptive.h), client-side throttling after errors, and a bounded wait queue in front
// of them, fair across sites, with deadlines. Requests that could not start within their wait
// budget are shed (handed to humans by the hub) rather than left to time out.
// Used only on the AI client's thread: no locks.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "limiter/adaptive.h"

namespace sb::ai {

struct gate_options {
  limiter::adaptive_options limit;
  bool adaptive = true;  // false: the limit stays at limit.initial_limit (a fixed limit)
  limiter::throttle_options throttle;
  std::size_t max_queue = 5000;  // waiting requests per upstream
};

struct gate_stats {
  std::string upstream;  // "<base URL> <model>"
  int limit = 0, in_flight = 0;
  std::size_t queued = 0;
  double baseline_ms = 0, reject_probability = 0;
  std::uint64_t admitted = 0, shed = 0, overloads = 0, max_in_flight = 0;
};

class gate {
 public:
  enum class verdict { go, wait, shed };

  gate(std::string name, gate_options o);

  /** A new request of `site` that must start by `deadline_ms`: go (a slot is taken), wait
   *  (queue it with enqueue()), or shed (`why` says so). */
  verdict admit(const std::string& site, std::int64_t deadline_ms, std::int64_t now_ms,
                std::string& why);
  /** A retry of a request that had a slot: takes one at once if nobody waits and one is free
   *  (no throttle: the request was admitted already). */
  bool try_take(const std::string& site);
  void enqueue(const std::string& site, std::uint64_t id, std::int64_t deadline_ms, bool front);
  /** The next waiting request to start, if a slot is free (the slot is taken): the oldest of
   *  the site with the fewest requests in flight, so that no site can take every slot. */
  bool next(std::uint64_t& id, std::int64_t now_ms);
  /** Removes waiting requests whose deadline has passed. */
  void expire(std::int64_t now_ms, std::vector<std::uint64_t>& out);
  /** Forgets a waiting request (cancelled). */
  void drop(std::uint64_t id);

  // A started request's slot is free again (after `held_ms`): how it went, for the limit and
  // the throttle. `latency_ms`: time to first token.
  void succeeded(const std::string& site, std::int64_t latency_ms, std::int64_t held_ms,
                 std::int64_t now_ms);
  void overloaded(const std::string& site, std::int64_t held_ms,
                  std::int64_t now_ms);                         // 429, 5xx, connect, timeout
  void ignored(const std::string& site, std::int64_t held_ms);  // cancelled, or says nothing

  /** Soonest deadline among waiting requests, or -1. */
  std::int64_t next_deadline() const;
  gate_stats stats(std::int64_t now_ms);

 private:
  struct waiting {
    std::uint64_t id;
    std::int64_t deadline_ms;
  };
  struct site_state {
    std::deque<waiting> queue;
    int in_flight = 0;
  };
  void release(const std::string& site, std::int64_t held_ms);
  /** Expected wait for a request joining the back of the queue. */
  std::int64_t expected_wait_ms() const;

  std::string name_;
  gate_options o_;
  limiter::adaptive_limit limit_;
  limiter::adaptive_throttle throttle_;
  std::map<std::string, site_state> sites_;
  std::size_t queued_ = 0;
  double service_ms_ = 0;               // EWMA of how long a slot is held
  std::int64_t cooldown_until_ms_ = 0;  // after an overload: no start from the queue until then
  std::mt19937_64 rng_{0x5b5b};
  std::uint64_t admitted_ = 0, shed_ = 0, overloads_ = 0, max_in_flight_ = 0;
};

}  // namespace sb::ai
