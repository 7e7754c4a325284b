// options.h — command-line options shared by the load generator's modes, and small helpers
// for the JSON report.
#pragma once

#include <string>
#include <string_view>

namespace loadgen {

struct options {
  std::string mode;            // "idle" or "chat"
  int count = 0;               // idle: connections; chat: pairs
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/ws";
  std::string site = "demo";
  int sources = 0;             // source addresses 127.0.0.1..N; 0 = one per 25,000 connections
  int max_pending = 256;       // connections in connect/upgrade/hello at once
  double setup_timeout = 60;   // seconds to open every connection
  double hold_max = 900;       // idle: hold at most this long
  int inflight = 8;            // chat: messages in flight per connection
  double duration = 10;        // chat: measured seconds
  double warmup = 2;           // chat: seconds of load before measuring
  double drain = 5;            // chat: seconds to wait for the last acks and msgs
  int size = 48;               // chat: bytes of message text
  std::string tokens;          // chat: file with one agent token per line
};

int run_idle(const options& o);
int run_chat(const options& o);

// Escapes `s` as the body of a JSON string.
inline std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += char(ch);
    } else if (ch < 0x20) {
      char buf[8];
      static const char hex[] = "0123456789abcdef";
      buf[0] = '\\'; buf[1] = 'u'; buf[2] = '0'; buf[3] = '0';
      buf[4] = hex[ch >> 4]; buf[5] = hex[ch & 15];
      out.append(buf, 6);
    } else {
      out += char(ch);
    }
  }
  return out;
}

}  // namespace loadgen
