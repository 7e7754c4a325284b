// Admission: who may send, open, connect or log in now. Rate limits per visitor, IP (IPv6 by
// /64), site and the whole server, each a token bucket plus a sliding window (limiter/rate.h)
// kept in one bounded table; repeated flooding closes the connection (4429); and the server's
// own health (I/O lag, store backlog, memory) tightens admission of new connections and new
// conversations before it can hurt conversations in progress.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "limiter/rate.h"
#include "limiter/rate_table.h"

namespace sb::hub {

enum class action { message, conversation, connection, login };
constexpr std::size_t action_count = 4;
const char* to_string(action a);

/** Every rule, by action then scope. For logins the "visitor" scope is the account (e-mail). */
struct rate_rules {
  struct scopes {
    limiter::rate_rule visitor, ip, site, global;
  };
  std::array<scopes, action_count> by_action;
  const scopes& operator[](action a) const { return by_action[static_cast<std::size_t>(a)]; }
};

/**
 * Parses rules: the server's defaults (config `rateLimits`, a JSON object of
 * "<action>.<scope>": {burst, perSecond, windowMs, windowMax} | null) overlaid by a site's own
 * (`site.rateLimits`). null switches a rule off. Returns null and sets `error` (naming the key)
 * on a malformed rule.
 */
std::shared_ptr<const rate_rules> parse_rate_rules(std::string_view defaults_json,
                                                   std::string_view site_json, std::string& error);

struct admission_options {
  std::size_t table_keys = 262144;      // rate state kept for at most this many keys
  std::vector<std::string> exempt_ips;  // never limited by the IP scope (e.g. loopback)
  int flood_strikes = 20;               // refusals within flood_window_ms that close 4429
  std::int64_t flood_window_ms = 10000;
  std::int64_t max_io_lag_ms = 250;         // I/O thread lag that counts as saturated
  std::uint64_t max_store_backlog = 20000;  // queued store writes that count as saturated
  std::uint64_t max_memory_bytes = 0;       // resident memory that counts as saturated; 0: no cap
};

/** A connection's recent refusals, for the flood rule. Guarded by its owner's lock. */
struct strike_counter {
  std::int64_t window_start_ms = 0;
  int count = 0;
};

struct admission_stats {
  std::array<std::uint64_t, action_count> refused{};  // by action
  std::uint64_t flood_closes = 0;
  std::uint64_t saturated_refusals = 0;  // new connections/conversations refused for health
  std::size_t keys = 0, key_capacity = 0, table_bytes = 0;
  std::uint64_t evictions = 0;
  bool saturated = false;
  std::int64_t io_lag_ms = 0;
  std::uint64_t memory_bytes = 0;
};

class admission {
 public:
  explicit admission(admission_options o);

  /** Checks the narrowest scope first and stops at the first refusal (a refused event counts
   *  nowhere). `ip` is the limiter key of the address (limiter::ip_key); empty skips the scope. */
  limiter::decision check(action a, const rate_rules& rules, std::string_view principal,
                          std::string_view ip, std::string_view site, std::int64_t now_ms);
  /** Counts a refusal against a connection; true when it has flooded (close it with 4429). */
  bool strike(strike_counter& s, std::int64_t now_ms);
  /** The IP scope's key for a "host:port" or bare address, or "" when exempt. */
  std::string ip_scope(std::string_view remote) const;

  // Health, fed by the transport (I/O lag) and the store (backlog); read on admission.
  void report_io_lag(std::int64_t lag_ms) { io_lag_ms_.store(lag_ms, std::memory_order_relaxed); }
  void report_store_backlog(std::uint64_t n) { backlog_.store(n, std::memory_order_relaxed); }
  /** True when new connections and conversations should wait. */
  bool saturated();
  void count_saturated_refusal() { saturated_refusals_++; }

  admission_stats stats();

 private:
  admission_options o_;
  limiter::rate_table table_;
  std::array<std::atomic<std::uint64_t>, action_count> refused_{};
  std::atomic<std::uint64_t> flood_closes_{0}, saturated_refusals_{0};
  std::atomic<std::int64_t> io_lag_ms_{0};
  std::atomic<std::uint64_t> backlog_{0};
  std::atomic<std::uint64_t> memory_bytes_{0};
  std::atomic<std::int64_t> memory_checked_ms_{0};
};

}  // namespace sb::hub
