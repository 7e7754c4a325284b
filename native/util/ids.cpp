// Random ids from the kernel's CSPRNG, buffered per thread so one getrandom() serves many ids;
// and the two clocks.
#include "util/ids.h"

#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace sb::util {

namespace {

// Bumped in a forked child: its copy of the parent's buffered bytes must not be handed out
// again, or parent and child would mint the same ids.
std::atomic<unsigned> fork_generation{0};

struct random_pool {
  std::array<char, 4096> buf;
  std::size_t pos = buf.size();
  unsigned generation = 0;

  void take(char* out, std::size_t n) {
    unsigned g = fork_generation.load(std::memory_order_relaxed);
    if (g != generation) {
      generation = g;
      pos = buf.size();
    }
    while (n > 0) {
      if (pos == buf.size()) refill();
      std::size_t k = std::min(n, buf.size() - pos);
      std::memcpy(out, buf.data() + pos, k);
      std::memset(buf.data() + pos, 0, k);  // a secret should not outlive its use in memory
      pos += k;
      out += k;
      n -= k;
    }
  }

  void refill() {
    std::size_t got = 0;
    while (got < buf.size()) {
      ssize_t r = ::getrandom(buf.data() + got, buf.size() - got, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        // Only possible without a kernel CSPRNG (ENOSYS); ids must never fall back to weak ones.
        throw std::runtime_error("getrandom failed");
      }
      got += static_cast<std::size_t>(r);
    }
    pos = 0;
  }
};

thread_local random_pool pool;

[[maybe_unused]] const bool fork_handler_installed = [] {
  ::pthread_atfork(nullptr, nullptr,
                   [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
  return true;
}();

constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  pool.take(out.data(), n);
  return out;
}

std::string random_id(std::string_view prefix) {
  // 16 bytes are 128 bits: five 3-byte groups give 20 characters, the last byte 2 more.
  unsigned char raw[16];
  pool.take(reinterpret_cast<char*>(raw), sizeof(raw));
  std::string out;
  out.reserve(prefix.size() + 22);
  out.append(prefix);
  for (std::size_t i = 0; i < 15; i += 3) {
    std::uint32_t v = (std::uint32_t(raw[i]) << 16) | (std::uint32_t(raw[i + 1]) << 8) | raw[i + 2];
    const char four[4] = {b64url[v >> 18], b64url[(v >> 12) & 63], b64url[(v >> 6) & 63],
                          b64url[v & 63]};
    out.append(four, 4);
  }
  out.push_back(b64url[raw[15] >> 2]);
  out.push_back(b64url[(raw[15] & 3) << 4]);
  return out;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t mono_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace sb::util
