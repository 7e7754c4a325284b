// idle_mode.cpp — `loadgen idle N`: opens N visitor sessions (hello → welcome), prints one
// JSON line when they are all welcomed, then holds them until stdin closes or a signal
// arrives, and prints a final JSON line.
#include <arpa/inet.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "json_fields.h"
#include "net_loop.h"
#include "options.h"

namespace loadgen {
namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct idle_ctx {
  net_loop* loop = nullptr;
  std::string hello;
  std::vector<char> welcomed;
  int welcomed_count = 0, failed = 0, closed_after_welcome = 0, error_frames = 0;
  std::map<int, int> close_codes;
  std::string first_error;
};

void idle_open(void* p, int i) {
  auto* c = static_cast<idle_ctx*>(p);
  c->loop->send_text(i, c->hello);
}

void idle_text(void* p, int i, std::string_view msg) {
  auto* c = static_cast<idle_ctx*>(p);
  frame_fields f;
  if (!parse_frame_fields(msg, f)) return;
  if (f.t == "welcome" && !c->welcomed[size_t(i)]) {
    c->welcomed[size_t(i)] = 1;
    ++c->welcomed_count;
  } else if (f.t == "error") {
    if (c->error_frames++ == 0) c->first_error.assign(msg);
  }
}

void idle_closed(void* p, int i) {
  auto* c = static_cast<idle_ctx*>(p);
  if (size_t(i) >= c->welcomed.size()) return;
  if (c->welcomed[size_t(i)]) ++c->closed_after_welcome;
  else ++c->failed;
  ++c->close_codes[c->loop->conn(i).close_code];
}

std::string codes_json(const std::map<int, int>& m) {
  std::string s = "{";
  for (auto& [code, n] : m) {
    if (s.size() > 1) s += ',';
    s += "\"" + std::to_string(code) + "\":" + std::to_string(n);
  }
  return s + "}";
}

}  // namespace

int run_idle(const options& o) {
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(uint16_t(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &dst.sin_addr) != 1) return 64;
  net_loop loop(dst, o.host + ":" + std::to_string(o.port), o.path, o.sources);
  idle_ctx ctx;
  ctx.loop = &loop;
  ctx.hello = "{\"t\":\"hello\",\"role\":\"visitor\",\"site\":\"" + o.site + "\"}";
  ctx.welcomed.assign(size_t(o.count), 0);
  ws_events ev{idle_open, idle_text, idle_closed};

  int64_t t0 = now_ns();
  int64_t deadline = t0 + int64_t(o.setup_timeout * 1e9);
  int started = 0;
  while (ctx.welcomed_count + ctx.failed < o.count && now_ns() < deadline && !g_stop) {
    int pending = started - ctx.welcomed_count - ctx.failed;
    for (; started < o.count && pending < o.max_pending; ++started, ++pending) {
      if (loop.add_conn() < 0) {
        ++ctx.failed;
        ++ctx.close_codes[-1];
      }
    }
    loop.poll_once(5, ev, &ctx);
  }
  double setup_s = double(now_ns() - t0) / 1e9;
  std::printf("{\"event\":\"ready\",\"target\":%d,\"welcomed\":%d,\"failed\":%d,"
              "\"setup_s\":%.3f,\"close_codes\":%s,\"first_error\":\"%s\"}\n",
              o.count, ctx.welcomed_count, ctx.failed, setup_s,
              codes_json(ctx.close_codes).c_str(), json_escape(ctx.first_error).c_str());
  std::fflush(stdout);

  loop.watch_stdin();
  int64_t hold_end = now_ns() + int64_t(o.hold_max * 1e9);
  while (!g_stop && !loop.stdin_closed() && now_ns() < hold_end) loop.poll_once(200, ev, &ctx);
  std::printf("{\"event\":\"done\",\"welcomed\":%d,\"closed_during_hold\":%d,"
              "\"error_frames\":%d}\n",
              ctx.welcomed_count, ctx.closed_after_welcome, ctx.error_frames);
  std::fflush(stdout);
  loop.close_all();
  return ctx.welcomed_count == o.count ? 0 : 1;
}

}  // namespace loadgen
