// Settings stored as JSON text (a site's `ai`, its `rateLimits`): one way to read them.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sb::util {

/** Parses `text` as a JSON object into `out` ("" is {}). On failure sets `error` to
 *  "<where> must be a JSON object" (never echoing the text) and returns false. */
inline bool parse_json_object(std::string_view text, const char* where, nlohmann::json& out,
                              std::string& error) {
  if (text.empty()) {
    out = nlohmann::json::object();
    return true;
  }
  out = nlohmann::json::parse(text, nullptr, false);
  if (out.is_discarded() || !out.is_object()) {
    error = std::string(where) + " must be a JSON object";
    return false;
  }
  return true;
}

}  // namespace sb::util
