// rate_table::allow() never allocates: this file replaces the global operator new and delete
// (for the whole test binary) with malloc/free wrappers that count, per thread, the calls made.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "limiter/rate_table.h"

namespace {
thread_local std::size_t t_allocations = 0;

void* counted(std::size_t n) {
  t_allocations++;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  t_allocations++;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  t_allocations++;
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace sb::limiter {
namespace {

TEST(rate_table_alloc, the_counter_sees_allocations) {
  std::size_t before = t_allocations;
  auto* s = new std::string(100, 'x');
  delete s;
  EXPECT_GE(t_allocations - before, 1u);
}

TEST(rate_table_alloc, allow_does_not_allocate_when_inserting_hitting_or_evicting) {
  rate_table t(1000, 4);
  rate_rule r;
  r.burst = 5;
  r.per_second = 1;
  r.window_ms = 1000;
  r.window_max = 20;
  std::size_t before = t_allocations;
  long allowed = 0;
  for (std::uint64_t i = 0; i < 200000; i++) {
    // Keys far beyond capacity (inserts, evictions) and a hot key (hits, refusals).
    allowed += t.allow(i * 0x9E3779B97F4A7C15ULL + 1, r, static_cast<std::int64_t>(i)).allowed;
    allowed += t.allow(42, r, static_cast<std::int64_t>(i)).allowed;
  }
  EXPECT_EQ(t_allocations - before, 0u);
  EXPECT_GT(t.evictions(), 0u);
  EXPECT_GT(allowed, 200000);
}

}  // namespace
}  // namespace sb::limiter
