// Structured JSON log lines, to stderr or to a sink installed by the embedding layer; and the
// JSON string escaper shared with the protocol codec.
#include "util/log.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#include "util/ids.h"

namespace sb::util {

namespace {

// Per byte: 0 copy as is; 'u' write \u00XX; 'E' first byte of U+2028/U+2029 maybe; any
// other value is the character that follows the backslash in a short escape.
constexpr std::array<char, 256> make_escape_table() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; c++) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  // Escaped so a frame or log line stays inert even if someone pastes it into HTML.
  t['<'] = t['>'] = t['&'] = 'u';
  t[0xE2] = 'E';
  return t;
}
constexpr std::array<char, 256> escape_table = make_escape_table();

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

/** True when some byte of `v` is zero (exact as to "some", the classic SWAR test). */
constexpr std::uint64_t has_zero(std::uint64_t v) { return (v - ones) & ~v & highs; }

/**
 * True when one of the 8 bytes in `v` may need escaping: a control character, a non-ASCII
 * byte (possibly U+2028/U+2029), or one of " \ < > &.
 */
constexpr bool needs_look(std::uint64_t v) {
  std::uint64_t control = (v - ones * 0x20) & ~v & highs;  // some byte < 0x20
  return (control | (v & highs) | has_zero(v ^ (ones * '"')) | has_zero(v ^ (ones * '\\')) |
          has_zero(v ^ (ones * '<')) | has_zero(v ^ (ones * '>')) | has_zero(v ^ (ones * '&'))) !=
         0;
}

std::atomic<int> min_level{static_cast<int>(log_level::info)};
std::mutex sink_mu;
std::shared_ptr<const log_sink> sink;  // guarded by sink_mu; shared so a call outlives a swap

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

void write_stderr(const std::string& line) {
  // One write() per line, so lines from several threads never interleave mid-line.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a failure to log
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;  // start of the bytes not yet copied
  for (; p < end; ++p) {
    // Most chat text is plain ASCII: skip 8 bytes at a time while none needs a look.
    while (end - p >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      if (needs_look(v)) break;
      p += 8;
    }
    if (p == end) break;
    auto c = static_cast<unsigned char>(*p);
    char e = escape_table[c];
    if (e == 0) continue;
    if (e == 'E') {
      // U+2028 and U+2029 (E2 80 A8/A9) end lines in JavaScript source before ES2019.
      if (end - p < 3 || static_cast<unsigned char>(p[1]) != 0x80 ||
          (static_cast<unsigned char>(p[2]) & 0xFE) != 0xA8)
        continue;
      out.append(run, static_cast<std::size_t>(p - run));
      out.append(static_cast<unsigned char>(p[2]) == 0xA8 ? "\\u2028" : "\\u2029", 6);
      p += 2;
      run = p + 1;
      continue;
    }
    out.append(run, static_cast<std::size_t>(p - run));
    if (e == 'u') {
      const char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      out.append(u, 6);
    } else {
      const char u[2] = {'\\', e};
      out.append(u, 2);
    }
    run = p + 1;
  }
  out.append(run, static_cast<std::size_t>(end - run));
  out.push_back('"');
}

void set_log_sink(log_sink s) {
  auto next = s ? std::make_shared<const log_sink>(std::move(s)) : nullptr;
  std::lock_guard<std::mutex> lock(sink_mu);
  sink.swap(next);
}

void set_log_level(log_level min) {
  min_level.store(static_cast<int>(min), std::memory_order_relaxed);
}

bool log_enabled(log_level level) {
  return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

void log(log_level level, std::string_view msg, std::initializer_list<log_field> fields) {
  if (!log_enabled(level)) return;
  std::size_t size = 64 + msg.size();
  for (const auto& f : fields) size += f.first.size() + f.second.size() + 8;
  std::string line;
  line.reserve(size);
  line += "{\"level\":\"";
  line += name_of(level);
  line += "\",\"time\":";
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof(buf), now_ms()).ptr;
  line.append(buf, static_cast<std::size_t>(end - buf));
  // "src" tells the core's lines from the JS layer's in one stream (the CLI logs src "cli").
  line += ",\"src\":\"core\",\"msg\":";
  append_json_string(line, msg);
  for (const auto& f : fields) {
    line.push_back(',');
    append_json_string(line, f.first);
    line.push_back(':');
    append_json_string(line, f.second);
  }
  line.push_back('}');

  std::shared_ptr<const log_sink> s;
  {
    std::lock_guard<std::mutex> lock(sink_mu);
    s = sink;
  }
  if (s) {
    try {
      (*s)(level, line);
      return;
    } catch (...) {
      // A failing sink must not unwind into the I/O thread that logged; fall back to stderr.
    }
  }
  line.push_back('\n');
  write_stderr(line);
}

}  // namespace sb::util
