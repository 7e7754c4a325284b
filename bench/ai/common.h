// common.h — what every part of aibench shares: the one clock, the token codec (a token's
// text *is* its write time, so any relay that forwards the text forwards the timestamp too),
// latency samples with percentiles, and `key=value` command arguments.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aibench {

// CLOCK_MONOTONIC in ns: the upstream's write times and the clients' read times come from the
// same clock in the same process, so their difference needs no synchronisation.
inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Tokens are "<base36 of ns since the process started> " (about 9 bytes, like a short word
// plus a space). Relays may merge several tokens into one delta; each keeps its own time.
extern int64_t epoch_ns;

inline size_t encode_token(int64_t t_ns, char* out) {
  uint64_t v = uint64_t(t_ns - epoch_ns);
  char tmp[16];
  size_t n = 0;
  do {
    int d = int(v % 36);
    tmp[n++] = char(d < 10 ? '0' + d : 'a' + d - 10);
    v /= 36;
  } while (v);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  out[n] = ' ';
  return n + 1;
}

// Calls on_token(write_ns) for every token in `text`; returns false on a malformed token.
template <class F>
bool decode_tokens(std::string_view text, F&& on_token) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    uint64_t v = 0;
    size_t start = i;
    for (; i < text.size() && text[i] != ' '; ++i) {
      char c = text[i];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'z') ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      v = v * 36 + uint64_t(d);
    }
    if (i - start > 12) return false;
    on_token(int64_t(v) + epoch_ns);
  }
  return true;
}

// Latency samples in ns; percentiles by nearest rank, printed in microseconds.
class samples {
 public:
  void add(int64_t ns) { v_.push_back(ns); }
  size_t count() const { return v_.size(); }
  void clear() { v_.clear(); }
  double pct_us(double p) {
    if (v_.empty()) return 0;
    std::sort(v_.begin(), v_.end());
    size_t k = size_t(p * double(v_.size() - 1) + 0.5);
    return double(v_[std::min(k, v_.size() - 1)]) / 1000.0;
  }
  std::string json() {
    char b[200];
    std::snprintf(b, sizeof b, "{\"count\":%zu,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}",
                  v_.size(), pct_us(0.5), pct_us(0.9), pct_us(0.99), pct_us(1.0));
    return b;
  }

 private:
  std::vector<int64_t> v_;
};

// A command line from the orchestrator: "<verb> key=value ...".
struct command {
  std::string verb;
  std::map<std::string, std::string> kv;
  double num(const char* k, double dflt) const {
    auto it = kv.find(k);
    return it == kv.end() ? dflt : std::atof(it->second.c_str());
  }
  std::string str(const char* k, const char* dflt = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? dflt : it->second;
  }
};

inline command parse_command(std::string_view line) {
  command c;
  size_t i = 0;
  bool first = true;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    std::string_view w = line.substr(i, j - i);
    if (!w.empty()) {
      size_t eq = w.find('=');
      if (first) c.verb = std::string(w);
      else if (eq != std::string_view::npos) c.kv[std::string(w.substr(0, eq))] = std::string(w.substr(eq + 1));
      first = false;
    }
    i = j;
  }
  return c;
}

// user+system CPU seconds of process `pid` (all threads), from /proc/<pid>/stat; -1 if unreadable.
double proc_cpu_seconds(int pid);
// VmRSS of `pid` in bytes; -1 if unreadable.
int64_t proc_rss_bytes(int pid);

}  // namespace aibench
