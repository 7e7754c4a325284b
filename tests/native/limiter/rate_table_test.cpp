// key_hash, ip_key and rate_table: bounded memory under a flood of keys, state kept per key,
// eviction order, and two threads on one table.
#include "limiter/rate_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace sb::limiter {
namespace {

rate_rule strict_rule() {  // 3 at once, then one per 10 s
  rate_rule r;
  r.burst = 3;
  r.per_second = 0.1;
  return r;
}

TEST(rate_table_keys, key_hash_is_stable_nonzero_and_separates_scope_from_key) {
  EXPECT_EQ(key_hash("msg.visitor", "v_1"), key_hash("msg.visitor", "v_1"));
  EXPECT_NE(key_hash("msg.visitor", "v_1"), key_hash("msg.visitor", "v_2"));
  EXPECT_NE(key_hash("msg.visitor", "v_1"), key_hash("msg.ip", "v_1"));
  EXPECT_NE(key_hash("a", "bc"), key_hash("ab", "c"));
  EXPECT_NE(key_hash("", ""), 0u);
  EXPECT_NE(key_hash("", "x"), key_hash("x", ""));
}

TEST(rate_table_keys, key_hash_has_no_collisions_and_spreads_evenly_over_1m_keys) {
  constexpr int kKeys = 1000000;
  constexpr int kBins = 1024;
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(kKeys);
  std::vector<int> bins_low(kBins), bins_high(kBins);
  for (int i = 0; i < kKeys; i++) {
    std::uint64_t h = key_hash("scope", "v_" + std::to_string(i));
    ASSERT_NE(h, 0u);
    seen.insert(h);
    bins_low[h % kBins]++;
    bins_high[h >> 54]++;
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kKeys));
  // Chi-square with 1023 degrees of freedom: mean 1023, sd ~45; 1250 is ~5 sd out.
  for (const auto* bins : {&bins_low, &bins_high}) {
    double expected = static_cast<double>(kKeys) / kBins, chi2 = 0;
    for (int n : *bins) chi2 += (n - expected) * (n - expected) / expected;
    EXPECT_LT(chi2, 1250.0);
  }
}

TEST(rate_table_keys, ip_key_keeps_ipv4_and_groups_ipv6_by_its_64_prefix) {
  EXPECT_EQ(ip_key("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(ip_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(ip_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ip_key("2001:0DB8:0001:0002:0000:0000:0000:0009"), "2001:db8:1:2::/64");
  EXPECT_EQ(ip_key("[2001:db8:1:2::5]"), "2001:db8:1:2::/64");
  EXPECT_EQ(ip_key("fe80::1%eth0"), "fe80::/64");
  EXPECT_EQ(ip_key("::1"), "::/64");
  EXPECT_EQ(ip_key("[::1]"), "::/64");
  EXPECT_NE(ip_key("2001:db8:1:2::1"), ip_key("2001:db8:1:3::1"));
  EXPECT_EQ(ip_key("::ffff:198.51.100.4"), "198.51.100.4");
  EXPECT_EQ(ip_key("::FFFF:c633:6404"), "198.51.100.4");
  EXPECT_EQ(ip_key("[::ffff:198.51.100.4]"), "198.51.100.4");
}

TEST(rate_table_keys, ip_key_returns_garbage_unchanged) {
  for (const char* s :
       {"", "not an address", "1.2.3", "1.2.3.4.5", "01.2.3.4", "300.1.1.1", "2001:db8::1::2",
        "[2001:db8::1", "[]", " 1.2.3.4", "1.2.3.4:80", "gggg::1"}) {
    EXPECT_EQ(ip_key(s), s);
  }
  std::string long_input(200, '1');
  EXPECT_EQ(ip_key(long_input), long_input);
}

TEST(rate_table, capacity_is_rounded_up_to_whole_probe_windows_of_whole_shards) {
  rate_table t(100000, 64);
  EXPECT_GE(t.capacity(), 100000u);
  EXPECT_LT(t.capacity(), 100000u + std::size_t{64} * 8);
  EXPECT_EQ(t.capacity() % (std::size_t{64} * 8), 0u);
  EXPECT_EQ(t.size(), 0u);
  rate_table tiny(1, 4);
  EXPECT_EQ(tiny.capacity(), 4u * 8);
  rate_table no_shards(10, 0);  // treated as one shard
  EXPECT_EQ(no_shards.capacity(), 16u);
}

TEST(rate_table, the_same_key_keeps_its_state) {
  rate_table t(1000);
  const std::uint64_t k = key_hash("msg.visitor", "v_1");
  for (int i = 0; i < 3; i++) EXPECT_TRUE(t.allow(k, strict_rule(), 0).allowed);
  decision d = t.allow(k, strict_rule(), 5);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 9995);
  EXPECT_TRUE(t.allow(key_hash("msg.visitor", "v_2"), strict_rule(), 5).allowed);
  EXPECT_TRUE(t.allow(k, strict_rule(), 10000).allowed);
  EXPECT_FALSE(t.allow(k, strict_rule(), 10000).allowed);
  EXPECT_EQ(t.size(), 2u);
}

TEST(rate_table, ipv6_addresses_in_one_64_share_a_limit) {
  rate_table t(1000);
  auto key = [](const char* ip) { return key_hash("conn.ip", ip_key(ip)); };
  EXPECT_TRUE(t.allow(key("2001:db8:1:2::1"), strict_rule(), 0).allowed);
  EXPECT_TRUE(t.allow(key("2001:db8:1:2::2"), strict_rule(), 0).allowed);
  EXPECT_TRUE(t.allow(key("2001:db8:1:2:ffff::3"), strict_rule(), 0).allowed);
  EXPECT_FALSE(t.allow(key("2001:db8:1:2:1234:5678:9abc:def0"), strict_rule(), 0).allowed);
  EXPECT_TRUE(t.allow(key("2001:db8:1:3::1"), strict_rule(), 0).allowed);  // another /64
  EXPECT_EQ(t.size(), 2u);
}

TEST(rate_table, a_million_keys_into_room_for_100k_stay_bounded) {
  rate_table t(100000);
  const std::size_t memory = t.memory_bytes();
  const std::size_t capacity = t.capacity();
  EXPECT_GE(memory, capacity * (8 + sizeof(rate_state)));
  for (int i = 0; i < 1000000; i++) {
    t.allow(key_hash("msg.visitor", "v_" + std::to_string(i)), strict_rule(), i / 1000);
    if (i % 100000 == 0) {
      ASSERT_LE(t.size(), capacity);
      ASSERT_EQ(t.memory_bytes(), memory);
    }
  }
  EXPECT_EQ(t.size(), capacity);  // every slot in use: none was lost
  EXPECT_EQ(t.memory_bytes(), memory);
  EXPECT_EQ(t.capacity(), capacity);
  // Every insertion beyond capacity displaced a key still holding state (one token spent of
  // three, refilled after 10 s: none is idle within the 1 s this ran for on the clock).
  EXPECT_EQ(t.evictions(), 1000000u - capacity);
}

TEST(rate_table, idle_slots_are_reused_before_busy_ones_are_evicted) {
  rate_table t(8, 1);  // one probe window of 8 slots
  rate_rule r = strict_rule();
  for (int i = 0; i < 8; i++) t.allow(key_hash("s", std::to_string(i)), r, 0);
  EXPECT_EQ(t.size(), 8u);
  // After 10 s every key is idle again: newcomers take their slots without evicting anyone.
  for (int i = 8; i < 16; i++) t.allow(key_hash("s", std::to_string(i)), r, 10000);
  EXPECT_EQ(t.evictions(), 0u);
  // Now all 8 are busy: the next newcomer evicts one.
  t.allow(key_hash("s", "new"), r, 10001);
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_EQ(t.size(), 8u);
}

TEST(rate_table, the_least_recently_active_key_is_evicted_and_a_blocked_key_counts_as_active) {
  rate_table t(8, 1);  // one probe window of 8 slots
  rate_rule r = strict_rule();
  const std::uint64_t blocked = key_hash("s", "blocked");
  for (int i = 0; i < 3; i++) ASSERT_TRUE(t.allow(blocked, r, 0).allowed);
  for (int i = 0; i < 7; i++) t.allow(key_hash("s", std::to_string(i)), r, 1 + i);
  // The blocked key keeps trying (refused: its state does not change) while newcomers arrive.
  for (int i = 7; i < 200; i++) {
    ASSERT_FALSE(t.allow(blocked, r, 100 + 10 * i).allowed) << i;
    t.allow(key_hash("s", std::to_string(i)), r, 101 + 10 * i);
  }
  EXPECT_EQ(t.evictions(), 193u);
  // Still remembered: not handed a fresh bucket by an eviction.
  EXPECT_FALSE(t.allow(blocked, r, 3000).allowed);
  // The key that came first and went quiet was the one evicted: it is fresh again.
  const std::uint64_t first = key_hash("s", "0");
  for (int i = 0; i < 3; i++) EXPECT_TRUE(t.allow(first, r, 3000).allowed);
}

TEST(rate_table, key_zero_is_usable) {
  rate_table t(64);
  for (int i = 0; i < 3; i++) EXPECT_TRUE(t.allow(0, strict_rule(), 0).allowed);
  EXPECT_FALSE(t.allow(0, strict_rule(), 0).allowed);
  EXPECT_EQ(t.size(), 1u);
}

TEST(rate_table, two_threads_hammering_shared_keys_never_lose_an_update) {
  rate_table t(100000, 8);
  rate_rule quota;  // 100 per key, never refilled: the total allowed is exact
  quota.burst = 100;
  constexpr int kKeys = 1000;
  constexpr int kTries = 150;  // per key per thread: 300 tries for 100 tokens
  std::atomic<long> allowed{0};
  auto work = [&](int seed) {
    long mine = 0;
    for (int round = 0; round < kTries; round++) {
      for (int k = 0; k < kKeys; k++) {
        int key = (k * 7 + seed * 13 + round) % kKeys;
        mine += t.allow(key_hash("hammer", std::to_string(key)), quota, round).allowed;
      }
    }
    allowed += mine;
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(allowed.load(), 100L * kKeys);
  EXPECT_EQ(t.size(), static_cast<std::size_t>(kKeys));
  EXPECT_EQ(t.evictions(), 0u);
}

TEST(rate_table, two_threads_flooding_distinct_keys_stay_within_capacity) {
  rate_table t(10000, 16);
  auto work = [&](int seed) {
    for (int i = 0; i < 200000; i++) {
      t.allow(key_hash("flood", std::to_string(seed * 1000000 + i)), strict_rule(), i / 100);
      if (i % 50000 == 0) EXPECT_LE(t.size(), t.capacity());
    }
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(t.size(), t.capacity());
  EXPECT_EQ(t.evictions(), 400000u - t.capacity());
}

}  // namespace
}  // namespace sb::limiter
