// Structured JSON log lines, to stderr or to a sink installed by the embedding layer.
#include "util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>

#include "util/ids.h"

namespace sb::util {

namespace {
std::atomic<int> min_level{static_cast<int>(log_level::info)};
std::mutex sink_mu;
std::shared_ptr<log_sink> sink;  // guarded by sink_mu

const char* name_of(log_level l) {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

void append_escaped(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}
}  // namespace

void set_log_sink(log_sink s) {
  std::lock_guard<std::mutex> lock(sink_mu);
  sink = s ? std::make_shared<log_sink>(std::move(s)) : nullptr;
}

void set_log_level(log_level min) { min_level = static_cast<int>(min); }

bool log_enabled(log_level level) { return static_cast<int>(level) >= min_level.load(); }

void log(log_level level, std::string_view msg, std::initializer_list<log_field> fields) {
  if (!log_enabled(level)) return;
  std::string line = "{\"level\":\"";
  line += name_of(level);
  line += "\",\"time\":";
  line += std::to_string(now_ms());
  line += ",\"src\":\"core\",\"msg\":";
  append_escaped(line, msg);
  for (const auto& f : fields) {
    line.push_back(',');
    append_escaped(line, f.first);
    line.push_back(':');
    append_escaped(line, f.second);
  }
  line.push_back('}');
  std::shared_ptr<log_sink> s;
  {
    std::lock_guard<std::mutex> lock(sink_mu);
    s = sink;
  }
  if (s) {
    (*s)(level, line);
    return;
  }
  line.push_back('\n');
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

}  // namespace sb::util
