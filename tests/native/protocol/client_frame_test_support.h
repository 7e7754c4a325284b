// Helpers shared by the client frame parsing tests.
#pragma once

#include "protocol/client_frame.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

using nlohmann::json;
using sb::protocol::client_type;
using sb::protocol::parse_client_frame;
using sb::protocol::parse_error;
using sb::protocol::parse_limits;
using sb::protocol::parse_result;

namespace sb_test {

inline parse_result parse(const json& frame, const parse_limits& limits = {}) {
  return parse_client_frame(frame.dump(), limits);
}

/** Expects `frame` to fail with `error` and a message that starts with `message`. */
inline void expect_error(const json& frame, parse_error error, const std::string& message) {
  auto r = parse(frame);
  EXPECT_EQ(r.error, error) << frame.dump();
  EXPECT_EQ(r.message.substr(0, message.size()), message) << frame.dump() << " -> " << r.message;
}

inline void expect_invalid(const json& frame, const std::string& message) {
  expect_error(frame, parse_error::invalid, message);
}

inline const std::string euro = "\xE2\x82\xAC";  // U+20AC, three bytes

}  // namespace sb_test

using namespace sb_test;
