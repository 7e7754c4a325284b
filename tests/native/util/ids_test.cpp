// Random ids and bytes (format, uniqueness across threads and across fork) and the clocks.
#include "util/ids.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "util/sha256.h"

using namespace sb::util;

namespace {
bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}
}  // namespace

TEST(ids, random_id_is_the_prefix_and_22_base64url_characters) {
  for (int i = 0; i < 1000; i++) {
    std::string id = random_id("c_");
    ASSERT_EQ(id.size(), 24u) << id;
    ASSERT_EQ(id.substr(0, 2), "c_");
    for (char c : id.substr(2)) ASSERT_TRUE(is_base64url_char(c)) << id;
  }
  EXPECT_EQ(random_id("").size(), 22u);
  EXPECT_EQ(random_id("visitor-").substr(0, 8), "visitor-");
}

TEST(ids, random_id_carries_exactly_128_bits) {
  // The 22nd character holds the last 2 bits (its low 4 bits are zero), so the id decodes to
  // exactly 16 bytes with the strict decoder.
  std::set<char> last;
  for (int i = 0; i < 2000; i++) {
    std::string id = random_id("");
    std::string raw;
    ASSERT_TRUE(base64url_decode(id, raw)) << id;
    ASSERT_EQ(raw.size(), 16u);
    last.insert(id.back());
  }
  EXPECT_EQ(last, (std::set<char>{'A', 'Q', 'g', 'w'}));
}

TEST(ids, random_ids_do_not_repeat) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 200000; i++) ASSERT_TRUE(seen.insert(random_id("m_")).second);
}

TEST(ids, random_ids_do_not_repeat_across_threads) {
  constexpr int threads = 4, per_thread = 20000;
  std::vector<std::vector<std::string>> out(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&out, t] {
      for (int i = 0; i < per_thread; i++) out[t].push_back(random_id(""));
    });
  }
  for (auto& w : workers) w.join();
  std::unordered_set<std::string> seen;
  for (const auto& v : out)
    for (const auto& id : v) ASSERT_TRUE(seen.insert(id).second);
}

TEST(ids, a_forked_child_does_not_reuse_the_parents_buffered_randomness) {
  random_id("");  // fill this thread's buffer before forking
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string id = random_id("");
    ssize_t n = ::write(fds[1], id.data(), id.size());
    ::_exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string parent = random_id("");
  char buf[64];
  ssize_t n = ::read(fds[0], buf, sizeof(buf));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(n, 22);
  EXPECT_NE(std::string(buf, 22), parent);
}

TEST(ids, random_bytes_has_the_requested_length_across_buffer_refills) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(1).size(), 1u);
  std::string big = random_bytes(10000);  // more than one buffer
  ASSERT_EQ(big.size(), 10000u);
  // 10,000 random bytes: every byte value should appear (a zero-filled buffer would not).
  std::set<unsigned char> values(big.begin(), big.end());
  EXPECT_GT(values.size(), 250u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
}

TEST(ids, now_ms_is_wall_clock_milliseconds) {
  std::int64_t t = now_ms();
  std::int64_t expect = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  EXPECT_LE(std::llabs(expect - t), 1000);
  EXPECT_GT(t, 1700000000000);  // after Nov 2023: milliseconds, not seconds
}

TEST(ids, mono_ns_never_goes_back) {
  std::int64_t prev = mono_ns();
  for (int i = 0; i < 1000; i++) {
    std::int64_t now = mono_ns();
    ASSERT_GE(now, prev);
    prev = now;
  }
}
