// phases.h — the three measurements aibench runs on command, each against a fresh client pool
// and the one upstream: ttft (low concurrency, added latency per token), rate (many streams,
// relayed tokens per second) and memory (the server's RSS with many slow streams open).
#pragma once

#include <memory>
#include <string>

#include "common.h"
#include "loop.h"
#include "pools.h"
#include "recorder.h"
#include "upstream.h"

namespace aibench {

struct bench {
  loop lp;
  upstream up{lp};
  client_pool* pool = nullptr;
  recorder* rec = nullptr;

  // One loop turn: socket events, then the tokens that are due, then queued client writes.
  void turn(int max_wait_ms);
  // Turns the loop until `done()` or `timeout_s`; returns done().
  template <class P>
  bool run_until(P done, double timeout_s, int max_wait_ms = 20) {
    int64_t end = now_ns() + int64_t(timeout_s * 1e9);
    while (!done()) {
      if (now_ns() > end) return false;
      turn(max_wait_ms);
    }
    return true;
  }
  void idle_for(double seconds) {
    int64_t end = now_ns() + int64_t(seconds * 1e9);
    run_until([&] { return now_ns() >= end; }, seconds + 1);
  }
};

// Each returns one line of JSON (the result, or {"error": …}).
std::string run_ttft(bench& b, const command& c);
std::string run_rate(bench& b, const command& c);
std::string run_memory(bench& b, const command& c);

}  // namespace aibench
