// A word list replaced while it is in use: one thread compiles and swaps matchers (an atomic
// shared_ptr, as the registry will) while two threads filter with whichever one they load.
// Run under ThreadSanitizer too (SB_SANITIZE=thread).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "filter/stream_guard.h"
#include "filter_test_support.h"

namespace sb::filter {
namespace {

using testing::compile;

TEST(filter_swap, matchers_swapped_under_two_scanning_threads_give_one_list_or_the_other) {
  std::shared_ptr<const word_matcher> apple = compile("apple\n"), pear = compile("pear|block\n");
  std::shared_ptr<const word_matcher> current = apple;
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, scans{0};

  auto scanner = [&] {
    std::string out;
    while (!stop.load(std::memory_order_relaxed)) {
      std::shared_ptr<const word_matcher> m = std::atomic_load(&current);
      filter_result r = m->apply("an apple and a pear");
      bool is_apple = r.masked == "an ***** and a pear" && r.action == verdict::mask;
      bool is_pear = r.masked == "an apple and a ****" && r.action == verdict::block;
      if (!is_apple && !is_pear) bad++;
      stream_guard g(m);
      out.clear();
      g.feed("an app", out);
      g.feed("le and a pe", out);
      g.feed("ar", out);
      g.finish(out);
      if (g.current() != r.action) bad++;
      scans++;
    }
  };
  std::thread a(scanner), b(scanner);
  for (int i = 0; i < 300; i++) {
    // Compiled off the hot path, then swapped in; the old one lives while a scanner holds it.
    std::shared_ptr<const word_matcher> next = compile(i % 2 ? "apple\n" : "pear|block\n");
    std::atomic_store(&current, next);
  }
  while (scans.load() < 200) std::this_thread::yield();
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(apple->apply("apple").action == verdict::mask);
  EXPECT_TRUE(pear->apply("pear").action == verdict::block);
}

}  // namespace
}  // namespace sb::filter
