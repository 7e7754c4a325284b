// Structured logging: line shape, escaping, level filter, sinks (swap, failure, threads) and
// the default stderr writer.
#include "util/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "util/ids.h"

using nlohmann::json;
using namespace sb::util;

namespace {

class log_test : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_level(log_level::info);
    set_log_sink([this](log_level level, const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      levels_.push_back(level);
      lines_.push_back(line);
    });
  }
  void TearDown() override {
    set_log_sink(nullptr);
    set_log_level(log_level::info);
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

  std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<log_level> levels_;
};

}  // namespace

TEST_F(log_test, a_line_has_level_time_msg_and_fields_as_strings) {
  std::int64_t before = now_ms();
  log(log_level::warn, "listening", {{"port", "8080"}, {"host", "::"}});
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_EQ(levels_[0], log_level::warn);
  const std::string line = lines()[0];
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json j = json::parse(line);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_GE(j["time"].get<std::int64_t>(), before);
  EXPECT_LE(j["time"].get<std::int64_t>(), now_ms());
  EXPECT_EQ(j["msg"], "listening");
  EXPECT_EQ(j["port"], "8080");
  EXPECT_EQ(j["host"], "::");
  EXPECT_EQ(line.rfind("{\"level\":\"warn\",\"time\":", 0), 0u);  // level first, then time
}

TEST_F(log_test, every_level_is_named) {
  set_log_level(log_level::debug);
  log(log_level::debug, "d");
  log(log_level::info, "i");
  log(log_level::warn, "w");
  log(log_level::error, "e");
  auto l = lines();
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(json::parse(l[0])["level"], "debug");
  EXPECT_EQ(json::parse(l[1])["level"], "info");
  EXPECT_EQ(json::parse(l[2])["level"], "warn");
  EXPECT_EQ(json::parse(l[3])["level"], "error");
}

TEST_F(log_test, messages_keys_and_values_are_escaped) {
  std::string nasty = "a \"quote\" \\ back\nslash\t<script>&\x01\xE2\x80\xA8";
  log(log_level::info, nasty, {{"k\"ey", nasty}});
  const std::string line = lines().at(0);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('<'), std::string::npos);
  json j = json::parse(line);
  EXPECT_EQ(j["msg"], nasty);
  EXPECT_EQ(j["k\"ey"], nasty);
}

TEST_F(log_test, lines_below_the_level_are_not_built_or_delivered) {
  EXPECT_TRUE(log_enabled(log_level::info));
  EXPECT_FALSE(log_enabled(log_level::debug));
  log(log_level::debug, "hidden");
  EXPECT_TRUE(lines().empty());
  set_log_level(log_level::error);
  EXPECT_FALSE(log_enabled(log_level::warn));
  EXPECT_TRUE(log_enabled(log_level::error));
  log(log_level::warn, "hidden");
  log(log_level::error, "shown");
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_EQ(json::parse(lines()[0])["msg"], "shown");
}

TEST_F(log_test, without_a_sink_lines_go_to_stderr_with_a_newline) {
  set_log_sink(nullptr);
  ::testing::internal::CaptureStderr();
  log(log_level::info, "to stderr", {{"k", "v"}});
  std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  EXPECT_EQ(json::parse(out)["msg"], "to stderr");
}

TEST_F(log_test, a_throwing_sink_falls_back_to_stderr_without_throwing) {
  set_log_sink([](log_level, const std::string&) { throw std::runtime_error("sink down"); });
  ::testing::internal::CaptureStderr();
  EXPECT_NO_THROW(log(log_level::error, "still logged"));
  std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("still logged"), std::string::npos);
}

TEST_F(log_test, threads_may_log_while_the_sink_and_level_change) {
  std::atomic<int> delivered{0};
  std::atomic<bool> stop{false};
  auto counting = [&delivered](log_level, const std::string& line) {
    if (line.front() == '{' && line.back() == '}') delivered++;
  };
  set_log_sink(counting);
  std::vector<std::thread> loggers;
  for (int t = 0; t < 3; t++) {
    loggers.emplace_back([&stop] {
      while (!stop) log(log_level::warn, "busy", {{"thread", "x"}});
    });
  }
  for (int i = 0; i < 200; i++) {
    set_log_sink(counting);
    set_log_level(i % 2 ? log_level::warn : log_level::info);
    std::this_thread::yield();
  }
  stop = true;
  for (auto& t : loggers) t.join();
  EXPECT_GT(delivered.load(), 0);
}

TEST(json_string, shared_escaper_follows_the_frame_rules) {
  std::string out;
  append_json_string(out, std::string("\"\\\n\r\t\b\f\x01<>&\xE2\x80\xA8\xE2\x80\xA9\0", 18));
  EXPECT_EQ(out, R"("\"\\\n\r\t\b\f\u0001\u003c\u003e\u0026\u2028\u2029\u0000")");
}
