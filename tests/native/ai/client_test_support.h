// Shared by the client tests: a stream handler that records events and lets a test wait for
// them, a whole streamed answer, and the fixture (short timeouts, captured logs that must never
// hold the API key).
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ai/client.h"
#include "ai/prompt.h"
#include "fake_upstream.h"
#include "util/log.h"

namespace sb::ai::testing {

using std::chrono::milliseconds;

inline const std::string api_key = "sk-test-secret-7f3a";

inline long long ms_between(test_clock::time_point a, test_clock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

/** Records one stream's events and lets the test wait for them. */
class recorder : public stream_handler {
 public:
  void on_delta(std::string_view text) override {
    std::lock_guard<std::mutex> lock(mu_);
    deltas_.emplace_back(text);
    if (ends_) delta_after_end_ = true;
    cv_.notify_all();
  }
  void on_end(stream_result&& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    ends_++;
    result_ = std::move(r);
    ended_at_ = test_clock::now();
    cv_.notify_all();
  }
  bool wait_end(int timeout_ms = 3000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, milliseconds(timeout_ms), [&] { return ends_ > 0; });
  }
  bool wait_deltas(std::size_t n, int timeout_ms = 3000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, milliseconds(timeout_ms), [&] { return deltas_.size() >= n; });
  }
  int ends() {
    std::lock_guard<std::mutex> lock(mu_);
    return ends_;
  }
  std::vector<std::string> deltas() {
    std::lock_guard<std::mutex> lock(mu_);
    return deltas_;
  }
  std::string text() {
    std::string all;
    for (const auto& d : deltas()) all += d;
    return all;
  }
  const stream_result& result() {
    std::lock_guard<std::mutex> lock(mu_);
    return result_;
  }
  test_clock::time_point ended_at() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_at_;
  }
  bool delta_after_end() {
    std::lock_guard<std::mutex> lock(mu_);
    return delta_after_end_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> deltas_;
  int ends_ = 0;
  bool delta_after_end_ = false;
  stream_result result_;
  test_clock::time_point ended_at_;
};

/** A whole, well-formed streamed answer. */
inline void stream_answer(upstream_conn& c, const std::vector<std::string>& pieces,
                          int gap_ms = 0) {
  c.sse_head();
  c.chunk(role_event());
  for (const auto& p : pieces) {
    c.chunk(content_event(p));
    if (gap_ms) c.pause(gap_ms);
  }
  c.chunk(finish_event("stop"));
  c.chunk(usage_event(12, 4));
  c.chunk(done_event);
  c.end_chunks();
}

class ai_client : public ::testing::Test {
 protected:
  void SetUp() override {
    sb::util::set_log_sink([this](sb::util::log_level, const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_lines_.push_back(line);
    });
  }
  void TearDown() override {
    client_.reset();  // joins the client's thread before the upstream goes
    sb::util::set_log_sink(nullptr);
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& line : log_lines_)
      EXPECT_EQ(line.find(api_key), std::string::npos) << "the API key was logged: " << line;
  }

  client& cl() {
    if (!client_) client_ = std::make_unique<client>(opts_);
    return *client_;
  }

  /** A request to `up` with short retry delays and timeouts a test can wait for. */
  static chat_request request_to(const std::string& base_url) {
    chat_request r;
    r.upstream.base_url = base_url;
    r.upstream.api_key = api_key;
    r.upstream.request.model = "test-model";
    r.upstream.connect_timeout_ms = 1000;
    r.upstream.first_token_timeout_ms = 2000;
    r.upstream.idle_timeout_ms = 2000;
    r.upstream.total_timeout_ms = 5000;
    r.upstream.max_retries = 2;
    r.upstream.retry_base_ms = 10;
    r.upstream.retry_max_ms = 40;
    r.messages = {{"system", "Be brief."}, {"user", "hello"}};
    return r;
  }

  std::pair<std::uint64_t, std::shared_ptr<recorder>> start(chat_request r) {
    auto rec = std::make_shared<recorder>();
    std::uint64_t id = cl().start(std::move(r), rec);
    return {id, rec};
  }

  client_options opts_;
  std::unique_ptr<client> client_;
  std::mutex log_mu_;
  std::vector<std::string> log_lines_;
};

}  // namespace sb::ai::testing
