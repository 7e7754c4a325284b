// latency.h — latency samples (microseconds) and their percentiles for the load report.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace loadgen {

class latency_samples {
 public:
  void reserve(size_t n) { us_.reserve(n); }
  void add_ns(int64_t ns) { us_.push_back(uint32_t(ns < 0 ? 0 : std::min<int64_t>(ns / 1000, UINT32_MAX))); }
  size_t count() const { return us_.size(); }

  // Percentile p in [0,1] in milliseconds (nearest rank). Sorts the samples once.
  double pct_ms(double p) {
    if (us_.empty()) return 0;
    if (!sorted_) {
      std::sort(us_.begin(), us_.end());
      sorted_ = true;
    }
    size_t k = size_t(p * double(us_.size() - 1) + 0.5);
    return us_[std::min(k, us_.size() - 1)] / 1000.0;
  }

  std::string json() {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "{\"count\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
                  us_.size(), pct_ms(0.50), pct_ms(0.90), pct_ms(0.99), pct_ms(1.0));
    return buf;
  }

 private:
  std::vector<uint32_t> us_;
  bool sorted_ = false;
};

}  // namespace loadgen
