// main.cpp — aibench: the AI benchmark's upstream and clients in one process (one epoll loop,
// one clock). It listens as the upstream on 127.0.0.1, prints {"event":"upstream","port":P},
// then runs one command per stdin line and prints one JSON line per command (between commands
// the upstream keeps serving, so it can be tried by hand with curl):
//   ttft   kind=ws|sse port=P [path=…] [h1=name:value …] conns=8 requests=2000 warmup=100
//          tokens=20 interval_us=1000 first_us=2000
//   rate   kind=ws port=P conns=1000 tokens=200 interval_us=2500 first_us=2000 ramp_s=1
//          warmup_s=3 duration_s=10 server_pid=PID
//   memory kind=ws port=P conns=1000 server_pid=PID settle_s=2 slow_ms=1000
//   quit
// `port=self` means the upstream's own port (clients straight to the upstream: the floor).
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <string>

#include "phases.h"

namespace {

// Stdin as one more socket of the loop: complete lines become commands.
struct stdin_reader final : aibench::io_handler {
  std::string buf;
  std::deque<std::string> lines;
  bool eof = false;
  void on_io(uint32_t) override {
    char b[4096];
    ssize_t n = ::read(0, b, sizeof b);
    if (n <= 0) {
      eof = true;
      return;
    }
    buf.append(b, size_t(n));
    for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1))
      lines.push_back(buf.substr(0, nl));
  }
};

}  // namespace

int main() {
  using namespace aibench;
  epoch_ns = now_ns();
  // Timers fire within 50 us by default (timer slack); 1 ns keeps token writes on schedule.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  bench b;
  int port = b.up.listen_loopback();
  if (port <= 0) {
    std::printf("{\"event\":\"error\",\"error\":\"cannot listen on 127.0.0.1\"}\n");
    return 1;
  }
  std::printf("{\"event\":\"upstream\",\"port\":%d,\"pid\":%d}\n", port, int(getpid()));
  std::fflush(stdout);
  stdin_reader in;
  if (!b.lp.add(0, EPOLLIN, &in)) {  // a file, not a pipe: take all of it now
    while (!in.eof) in.on_io(EPOLLIN);
  }
  for (;;) {
    if (in.lines.empty()) {
      if (in.eof) break;
      b.turn(50);
      continue;
    }
    command c = parse_command(in.lines.front());
    in.lines.pop_front();
    if (c.verb == "quit") break;
    if (c.str("port") == "self") c.kv["port"] = std::to_string(port);
    std::string out;
    if (c.verb == "ttft") out = run_ttft(b, c);
    else if (c.verb == "rate") out = run_rate(b, c);
    else if (c.verb == "memory") out = run_memory(b, c);
    else out = "{\"error\":\"unknown command: " + c.verb + "\"}";
    std::printf("%s\n", out.c_str());
    std::fflush(stdout);
  }
  return 0;
}
