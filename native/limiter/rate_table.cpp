// key_hash, ip_key and the bounded rate table: each shard is a set-associative array of probe
// windows of kWays slots; a key lives in the one window its hash picks (320 bytes, prefetched
// at once) and a full window evicts within itself, never allocates. Keys land by hash, so N
// active keys in N slots leave 14% without a slot of their own (5% at 75%, 1% at 50%): size a
// table at about twice the keys expected to be active at once.
#include "limiter/rate_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace sb::limiter {
namespace {

constexpr std::size_t kWays = 8;  // slots per probe window

std::uint64_t mix64(std::uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// A refused check leaves the state as it was (that keeps its retry time exact), so the table
// records the refusal itself, for LRU: bits 1-31 of `flags` hold the ms from last_ms to the last
// refusal, saturating. A key hammered while blocked stays recent and keeps its (empty) bucket.
constexpr std::uint32_t kSeenBit = 1;
constexpr std::int64_t kMaxOffset = (std::int64_t{1} << 31) - 1;

void note(rate_state& s, const decision& d, std::int64_t now) {
  if (d.allowed) {
    s.flags &= kSeenBit;
  } else if (now > s.last_ms) {
    auto off = std::min<std::uint64_t>(static_cast<std::uint64_t>(now) - s.last_ms, kMaxOffset);
    s.flags = (s.flags & kSeenBit) | static_cast<std::uint32_t>(off << 1);
  }
}

std::int64_t last_activity(const rate_state& s) { return s.last_ms + (s.flags >> 1); }

// [0, n) from 32 bits of hash, without a division.
std::size_t reduce(std::uint32_t x, std::size_t n) {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(x) * n) >> 32);
}

}  // namespace

std::uint64_t key_hash(std::string_view scope, std::string_view key) {
  std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, scope);
  h = (h ^ 0) * 0x100000001b3ULL;  // the '\0' between scope and key: ("a", "bc") != ("ab", "c")
  h = mix64(fnv1a(h, key));
  return h != 0 ? h : 0x9e3779b97f4a7c15ULL;
}

std::string ip_key(std::string_view address) {
  std::string_view a = address;
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  if (auto pct = a.find('%'); pct != std::string_view::npos) a = a.substr(0, pct);  // zone id
  char buf[INET6_ADDRSTRLEN + 4];
  if (a.empty() || a.size() >= sizeof buf) return std::string(address);
  std::memcpy(buf, a.data(), a.size());
  buf[a.size()] = '\0';

  unsigned char bytes[16];
  if (inet_pton(AF_INET, buf, bytes) == 1) return std::string(a);
  if (inet_pton(AF_INET6, buf, bytes) != 1) return std::string(address);
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    if (!inet_ntop(AF_INET, bytes + 12, buf, sizeof buf)) return std::string(address);
    return buf;
  }
  std::memset(bytes + 8, 0,
              8);  // one /64 is one subscriber: it holds as many addresses as it likes
  if (!inet_ntop(AF_INET6, bytes, buf, sizeof buf)) return std::string(address);
  return std::string(buf) + "/64";
}

rate_table::rate_table(std::size_t max_keys, unsigned shards) {
  if (shards == 0) shards = 1;
  std::size_t per = (max_keys + shards - 1) / shards;
  per_shard_ = std::max<std::size_t>(kWays, (per + kWays - 1) / kWays * kWays);
  shards_.reserve(shards);
  for (unsigned i = 0; i < shards; i++) {
    auto s = std::make_unique<shard>();
    s->slots.resize(per_shard_);
    shards_.push_back(std::move(s));
  }
}

decision rate_table::allow(std::uint64_t key, const rate_rule& rule, std::int64_t now_ms) {
  if (key == 0) key = 0x9e3779b97f4a7c15ULL;  // 0 marks an empty slot; key_hash never gives it
  shard& sh = *shards_[reduce(static_cast<std::uint32_t>(key >> 32), shards_.size())];
  slot* window =
      sh.slots.data() + reduce(static_cast<std::uint32_t>(key), per_shard_ / kWays) * kWays;

  // The window spans five cache lines: ask for all of them at once, before the lock.
  for (std::size_t b = 0; b < kWays * sizeof(slot); b += 64) {
    __builtin_prefetch(reinterpret_cast<const char*>(window) + b);
  }
  __builtin_prefetch(reinterpret_cast<const char*>(window) + kWays * sizeof(slot) - 1);
  std::lock_guard<std::mutex> lock(sh.mu);
  slot* empty = nullptr;
  slot* idle = nullptr;
  slot* oldest = nullptr;
  for (std::size_t i = 0; i < kWays; i++) {
    slot& s = window[i];
    if (s.key == key) {
      decision d = check(s.state, rule, now_ms);
      note(s.state, d, now_ms);
      return d;
    }
    if (s.key == 0) {
      if (!empty) empty = &s;
    } else if (!empty && !idle) {
      if (is_idle(s.state, rule, now_ms)) {
        idle = &s;
      } else if (!oldest || last_activity(s.state) < last_activity(oldest->state)) {
        oldest = &s;
      }
    }
  }
  slot* use = empty ? empty : idle ? idle : oldest;
  if (use == empty) {
    sh.used++;
  } else if (use == oldest) {
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  use->key = key;
  use->state = rate_state{};
  decision d = check(use->state, rule, now_ms);
  note(use->state, d, now_ms);
  return d;
}

std::size_t rate_table::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    n += s->used;
  }
  return n;
}

std::size_t rate_table::capacity() const { return shards_.size() * per_shard_; }

std::size_t rate_table::memory_bytes() const {
  return shards_.size() * (sizeof(shard) + per_shard_ * sizeof(slot));
}

std::uint64_t rate_table::evictions() const { return evictions_.load(std::memory_order_relaxed); }

}  // namespace sb::limiter
