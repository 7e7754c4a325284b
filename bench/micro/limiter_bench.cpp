// Micro-benchmark of rate_table::allow(): one hot key, and 1,000,000 keys cycling through tables
// that hold all of them or a tenth of them (evicting), on 1 and 2 threads. Not part of the test
// suite. Build (one line) and run:
//   g++ -std=c++17 -O2 -DNDEBUG -Inative bench/micro/limiter_bench.cpp native/limiter/*.cpp
//       -pthread -o /tmp/limiter_bench && /tmp/limiter_bench
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "limiter/rate_table.h"

namespace {

using sb::limiter::rate_rule;
using sb::limiter::rate_table;
using clock_type = std::chrono::steady_clock;

// Keeps the compiler from dropping a result it can see is unused.
std::atomic<long> sink{0};

rate_rule chat_rule() {  // bursts of 20, 5/s, at most 120 a minute
  rate_rule r;
  r.burst = 20;
  r.per_second = 5;
  r.window_ms = 60000;
  r.window_max = 120;
  return r;
}

rate_rule open_rule() {  // never refuses in these runs: the allowed path only
  rate_rule r;
  r.burst = 1e6;
  r.per_second = 1e6;
  r.window_ms = 1000;
  r.window_max = 4000000000u;
  return r;
}

// Runs `ops` allow() calls per thread on `threads` threads; returns ns per call per thread
// (wall time / calls made by one thread). The simulated clock moves 1 ms per 1000 calls.
double run(rate_table& t, const std::vector<std::uint64_t>& keys, const rate_rule& rule, long ops,
           int threads) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  auto body = [&](int id) {
    long allowed = 0;
    std::size_t i = static_cast<std::size_t>(id) * keys.size() / 2;
    ready++;
    while (!go.load(std::memory_order_acquire)) {
    }
    for (long n = 0; n < ops; n++) {
      allowed += t.allow(keys[i], rule, n / 1000).allowed;
      if (++i == keys.size()) i = 0;
    }
    sink += allowed;
  };
  std::vector<std::thread> pool;
  for (int k = 1; k < threads; k++) pool.emplace_back(body, k);
  while (ready.load() < threads - 1) {
  }
  auto t0 = clock_type::now();
  go.store(true, std::memory_order_release);
  body(0);
  for (auto& th : pool) th.join();
  double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
  return ns / static_cast<double>(ops);
}

void report(const char* name, std::size_t capacity, const std::vector<std::uint64_t>& keys,
            const rate_rule& rule) {
  for (int threads : {1, 2}) {
    double best = 1e300;
    std::uint64_t evictions = 0;
    for (int round = 0; round < 5; round++) {
      rate_table t(capacity);
      run(t, keys, rule, static_cast<long>(std::min<std::size_t>(keys.size(), 2000000)), threads);
      best = std::min(best, run(t, keys, rule, 4000000, threads));
      evictions = t.evictions();
    }
    std::printf(
        "%-44s %d thread%s %7.1f ns/allow per thread, %6.1f ns/allow overall  (%llu "
        "evictions)\n",
        name, threads, threads == 1 ? " " : "s", best, best / threads,
        static_cast<unsigned long long>(evictions));
  }
}

}  // namespace

int main() {
  std::vector<std::uint64_t> one{sb::limiter::key_hash("msg.visitor", "v_1")};
  std::vector<std::uint64_t> million;
  million.reserve(1000000);
  for (int i = 0; i < 1000000; i++) {
    million.push_back(sb::limiter::key_hash("msg.visitor", "v_" + std::to_string(i * 7919LL)));
  }

  report("1 key, allowed", 100000, one, open_rule());
  report("1 key, chat rule (mostly refused)", 100000, one, chat_rule());
  report("1M keys, capacity 1M, chat rule", 1000000, million, chat_rule());
  report("1M keys, capacity 100k (evicting), chat rule", 100000, million, chat_rule());

  // What a caller pays before allow(): hashing the key, and reducing an address to its key.
  const std::string visitor = "v_Qm9vYmFyYmF6cXV4MTIzNA";
  auto t0 = clock_type::now();
  long h = 0;
  for (int i = 0; i < 10000000; i++) h += sb::limiter::key_hash("msg.visitor", visitor) & 1;
  double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() / 1e7;
  sink += h;
  std::printf("%-44s %7.1f ns\n", "key_hash(scope, 24-byte key)", ns);
  t0 = clock_type::now();
  for (int i = 0; i < 1000000; i++)
    h += sb::limiter::ip_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd").size();
  ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() / 1e6;
  sink += h;
  std::printf("%-44s %7.1f ns\n", "ip_key(IPv6)", ns);
  std::printf("table of 100k: %zu B (%.1f B per key)\n", rate_table(100000).memory_bytes(),
              static_cast<double>(rate_table(100000).memory_bytes()) / 100000);
  return sink.load() == 42 ? 1 : 0;
}
