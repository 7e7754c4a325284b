// The upstream's gate: admission, the fair queue, deadlines, the cooldown after an overload,
// and the fixed-limit switch. Driven directly on a simulated clock.
#include "ai/gate.h"

#include <gtest/gtest.h>

namespace sb::ai {
namespace {

gate_options options(double initial, bool adaptive = true) {
  gate_options o;
  o.limit.initial_limit = initial;
  o.adaptive = adaptive;
  return o;
}

TEST(gate, admits_up_to_the_limit_then_queues_and_starts_the_queue_as_slots_free) {
  gate g("up", options(2));
  std::string why;
  EXPECT_EQ(g.admit("a", 1000, 0, why), gate::verdict::go);
  EXPECT_EQ(g.admit("a", 1000, 0, why), gate::verdict::go);
  ASSERT_EQ(g.admit("a", 1000, 0, why), gate::verdict::wait);
  g.enqueue("a", 7, 1000, false);
  std::uint64_t id = 0;
  EXPECT_FALSE(g.next(id, 1));  // no free slot
  g.succeeded("a", 50, 100, 100);
  ASSERT_TRUE(g.next(id, 100));
  EXPECT_EQ(id, 7u);
  EXPECT_EQ(g.stats(100).in_flight, 2);
}

TEST(gate, the_site_with_fewest_in_flight_goes_first) {
  gate g("up", options(2));
  std::string why;
  g.admit("big", 1000, 0, why);
  g.admit("big", 1000, 0, why);
  g.enqueue("big", 1, 1000, false);
  g.enqueue("small", 2, 1000, false);
  g.succeeded("big", 50, 100, 100);
  std::uint64_t id = 0;
  ASSERT_TRUE(g.next(id, 100));
  EXPECT_EQ(id, 2u);  // "small" has none in flight; "big" still has one
}

TEST(gate, waiting_requests_expire_at_their_deadline) {
  gate g("up", options(1));
  std::string why;
  g.admit("a", 1000, 0, why);
  g.enqueue("a", 3, 500, false);
  std::vector<std::uint64_t> out;
  g.expire(499, out);
  EXPECT_TRUE(out.empty());
  g.expire(500, out);
  EXPECT_EQ(out, std::vector<std::uint64_t>{3});
  EXPECT_EQ(g.stats(500).queued, 0u);
  EXPECT_EQ(g.stats(500).shed, 1u);
}

TEST(gate, sheds_when_the_expected_wait_exceeds_the_budget) {
  gate g("up", options(1));
  std::string why;
  g.admit("a", 10000, 0, why);
  g.succeeded("a", 100, 1000, 1000);  // a slot is held ~1 s
  g.admit("a", 10000, 1000, why);     // takes the free slot
  g.enqueue("a", 1, 10000, false);
  EXPECT_EQ(g.admit("a", 1200, 1000, why), gate::verdict::shed);  // ~2 s ahead, 0.2 s budget
  EXPECT_NE(why.find("wait would exceed the budget"), std::string::npos) << why;
}

TEST(gate, after_an_overload_nothing_starts_from_the_queue_for_a_round_trip) {
  gate g("up", options(4));
  std::string why;
  for (int i = 0; i < 4; i++) g.admit("a", 10000, 0, why);
  g.enqueue("a", 9, 10000, false);
  g.overloaded("a", 1, 10);      // a 429: the limit is cut to 3 and 3 are in flight
  g.succeeded("a", 20, 20, 20);  // an answer frees a slot below the new limit
  std::uint64_t id = 0;
  EXPECT_FALSE(g.next(id, 50));
  EXPECT_TRUE(g.next(id, 200));  // >= 100 ms later
  EXPECT_EQ(id, 9u);
}

TEST(gate, a_fixed_limit_does_not_move) {
  gate g("up", options(3, false));
  std::string why;
  for (int i = 0; i < 3; i++) g.admit("a", 10000, 0, why);
  for (int i = 0; i < 3; i++) g.overloaded("a", 1, 10 + 200 * i);
  EXPECT_EQ(g.stats(1000).limit, 3);
  for (int i = 0; i < 3; i++) g.admit("a", 10000, 1000, why);
  for (int i = 0; i < 3; i++) g.succeeded("a", 10, 10, 1100);
  EXPECT_EQ(g.stats(1100).limit, 3);
}

}  // namespace
}  // namespace sb::ai
