// net_loop.h — the load generator's single-threaded epoll loop: owns every client connection,
// completes connects and upgrades, dispatches frames, and writes each connection's queued
// frames with one send() per loop turn (so a burst of acks produces one write, not many).
#pragma once

#include <netinet/in.h>

#include <string>
#include <vector>

#include "ws_client.h"

namespace loadgen {

class net_loop {
 public:
  // `sources` > 1 spreads connections over source addresses 127.0.0.1 .. 127.0.0.<sources>.
  net_loop(const sockaddr_in& dst, std::string host_port, std::string path, int sources);
  ~net_loop();
  net_loop(const net_loop&) = delete;
  net_loop& operator=(const net_loop&) = delete;

  // Starts a new connection; returns its index, or -1 if the socket could not be created.
  int add_conn();
  ws_conn& conn(int i) { return conns_[size_t(i)]; }
  int size() const { return int(conns_.size()); }

  // Queues a text frame; it goes out at the end of the current (or next) loop turn.
  void send_text(int i, std::string_view payload);

  // Waits up to `timeout_ms` for events and handles them. Returns the number of events.
  int poll_once(int timeout_ms, const ws_events& ev, void* ctx);

  // Watch stdin: stdin_closed() turns true at EOF. No-op if stdin cannot be polled.
  void watch_stdin();
  bool stdin_closed() const { return stdin_closed_; }

  int open_count() const { return open_; }
  int connecting_count() const { return connecting_; }
  void close_all();

 private:
  void set_interest(int i, bool want_write);
  void finish(int i, const ws_events& ev, void* ctx);
  void flush_dirty(const ws_events& ev, void* ctx);

  sockaddr_in dst_;
  std::string host_port_, path_;
  int sources_;
  int epfd_ = -1;
  std::vector<ws_conn> conns_;
  std::vector<int> dirty_;
  std::vector<char> dirty_flag_;
  std::vector<char> scratch_;
  int open_ = 0, connecting_ = 0;
  bool stdin_watched_ = false, stdin_closed_ = false;
};

// Monotonic clock in nanoseconds (the same clock across processes on this machine).
int64_t now_ns();

}  // namespace loadgen
