// Rate state for many keys (visitors, IPs, sites) in a bounded table: fixed memory chosen at
// construction, no allocation after it, sharded locks. When full, an idle key's slot is reused
// first, else the least recently used slot of the probe window (that key starts afresh:
// lenient, never wrongly strict).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "limiter/rate.h"

namespace sb::limiter {

/** A 64-bit key for (scope, key), e.g. ("msg.visitor", "v_123"); never 0. */
std::uint64_t key_hash(std::string_view scope, std::string_view key);

/** The key an address is limited by: IPv4 as is, IPv6 by its /64 prefix ("2001:db8:1:2::/64"),
 *  IPv4-mapped IPv6 as the IPv4 address. Unparseable input is returned unchanged. */
std::string ip_key(std::string_view address);

class rate_table {
 public:
  /** Room for `max_keys` keys (rounded up to whole shards of whole probe windows). */
  explicit rate_table(std::size_t max_keys, unsigned shards = 64);
  rate_table(const rate_table&) = delete;
  rate_table& operator=(const rate_table&) = delete;

  /** check() for the key's state. Thread-safe; no allocation. */
  decision allow(std::uint64_t key, const rate_rule& rule, std::int64_t now_ms);

  std::size_t size() const;      // keys held now
  std::size_t capacity() const;  // keys it can hold
  std::size_t memory_bytes() const;
  std::uint64_t evictions() const;  // non-idle keys dropped to make room

 private:
  struct slot {
    std::uint64_t key = 0;  // 0: empty
    rate_state state;
  };
  struct shard {
    std::mutex mu;
    std::vector<slot> slots;
    std::size_t used = 0;
  };
  std::vector<std::unique_ptr<shard>> shards_;
  std::size_t per_shard_ = 0;
  // Its own cache line: bumped on every eviction, it would otherwise share one with shards_
  // and per_shard_, which every allow() on every thread reads.
  alignas(64) std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace sb::limiter
