// Random ids from the kernel's CSPRNG, buffered per thread, and clocks.
#include "util/ids.h"

#include <sys/random.h>

#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "util/sha256.h"

namespace sb::util {

namespace {
// One getrandom() call serves many ids.
struct random_pool {
  std::array<char, 4096> buf;
  std::size_t pos = buf.size();

  void take(char* out, std::size_t n) {
    while (n > 0) {
      if (pos == buf.size()) refill();
      std::size_t k = std::min(n, buf.size() - pos);
      std::memcpy(out, buf.data() + pos, k);
      // Never hand out the same bytes twice.
      std::memset(buf.data() + pos, 0, k);
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
        throw std::runtime_error("getrandom failed");
      }
      got += static_cast<std::size_t>(r);
    }
    pos = 0;
  }
};
thread_local random_pool pool;
}  // namespace

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  pool.take(out.data(), n);
  return out;
}

std::string random_id(std::string_view prefix) {
  char raw[16];
  pool.take(raw, sizeof(raw));
  std::string out(prefix);
  out += base64url_encode(std::string_view(raw, sizeof(raw)));
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
