// Micro-benchmark of the personal-data filter: find_pii() per ~100-byte chat message (English,
// Chinese, with digits that are not PII, with PII), throughput on 4 MB of chat text, and the cost
// of mask_pii() and pii_holdback(). Not part of the test suite. Build (one line) and run:
//   g++ -std=c++17 -O2 -DNDEBUG -Inative bench/micro/pii_bench.cpp native/filter/pii.cpp
//       -o /tmp/pii_bench && /tmp/pii_bench
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "filter/pii.h"

namespace {

using sb::filter::find_pii;
using sb::filter::pii_match;
using sb::filter::pii_options;
using clock_type = std::chrono::steady_clock;

volatile std::size_t sink = 0;  // keeps results alive

// Best of 5 rounds of `reps` calls of f(); ns per call.
template <class F>
double best_ns(long reps, F&& f) {
  double best = 1e300;
  for (int round = 0; round < 5; round++) {
    const auto t0 = clock_type::now();
    for (long k = 0; k < reps; k++) f();
    const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    best = std::min(best, ns / static_cast<double>(reps));
  }
  return best;
}

void per_message(const char* name, const std::string& msg) {
  std::vector<pii_match> out;
  const pii_options options;
  const double ns = best_ns(1000000, [&] {
    find_pii(msg, options, out);
    sink = sink + out.size();
  });
  std::printf("%-44s %4zu B %7.1f ns/msg %7.1f ns/100 B %7.0f MB/s  (%zu found)\n", name,
              msg.size(), ns, ns * 100.0 / static_cast<double>(msg.size()),
              static_cast<double>(msg.size()) * 1e3 / ns, out.size());
}

void throughput(const char* name, const std::vector<std::string>& messages) {
  std::string text;
  while (text.size() < (4u << 20)) {
    for (const std::string& m : messages) text += m + "\n";
  }
  std::vector<pii_match> out;
  const pii_options options;
  const double ns = best_ns(3, [&] {
    find_pii(text, options, out);
    sink = sink + out.size();
  });
  std::printf("%-44s %5.1f MB %7.0f MB/s  (%zu found)\n", name,
              static_cast<double>(text.size()) / 1e6, static_cast<double>(text.size()) * 1e3 / ns,
              out.size());
}

}  // namespace

int main() {
  const std::string english =
      "Hi, I ordered the blue jacket last week and it still has not arrived. Can you check? Thx";
  const std::string chinese = "你好，我上周买的蓝色外套还没到，能帮我查一下物流吗？谢谢！";
  const std::string digits =
      "Order 20231015123456 on 2023-10-15 14:30, total $1,234.50 for 3 items, v2.1.0, ok";
  const std::string phone =
      "Please call me back at +86 138 1234 5678 or mail me: li.wei@example.com";
  const std::string id = "我的身份证号是11010519491231002X，手机13812345678，麻烦尽快处理一下谢谢";

  per_message("find_pii, English, no PII", english);
  per_message("find_pii, Chinese, no PII", chinese);
  per_message("find_pii, dates/prices/order no., no PII", digits);
  per_message("find_pii, phone + e-mail", phone);
  per_message("find_pii, Chinese with ID + mobile", id);

  throughput("find_pii, chat mix without PII", {english, chinese, digits});
  throughput("find_pii, chat mix, 2 of 5 lines with PII", {english, chinese, digits, phone, id});

  const auto matches = find_pii(id);
  std::string masked;
  double ns = best_ns(1000000, [&] {
    sb::filter::mask_pii(id, matches, masked);
    sink = sink + masked.size();
  });
  std::printf("%-44s %7.1f ns\n", "mask_pii, 2 spans in 100 B", ns);
  const std::string tail = english + " call 138 1234 ";
  ns = best_ns(1000000, [&] { sink = sink + sb::filter::pii_holdback(tail); });
  std::printf("%-44s %7.1f ns  (holds %zu B)\n", "pii_holdback, trailing digit group", ns,
              sb::filter::pii_holdback(tail));
  return sink == 42 ? 1 : 0;
}
