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

/**
 * Appends `s` as a JSON string literal, quotes included (RFC 8259), also escaping U+2028,
 * U+2029, `<`, `>` and `&` so the text stays inert inside HTML or a script. `s` should be valid
 * UTF-8; other bytes are copied as they are. Lives here because util may not include
 * protocol; protocol::append_json_string (the frames' escaper) calls it.
 */
void append_json_string(std::string& out, std::string_view s);

}  // namespace sb::util
