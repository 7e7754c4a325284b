// Structured JSON logging from the core: one line per event on stderr, or handed to a sink
// (the binding forwards to the JS logger). Never logs message text or secrets.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sb::util {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

using log_field = std::pair<std::string_view, std::string>;
/** Receives one complete JSON line (no newline). Must be thread-safe. */
using log_sink = std::function<void(log_level, const std::string& json_line)>;

void set_log_sink(log_sink sink);
void set_log_level(log_level min);
bool log_enabled(log_level level);
void log(log_level level, std::string_view msg, std::initializer_list<log_field> fields = {});

}  // namespace sb::util
