// loop.h — aibench's single epoll loop: every socket (upstream side and client side) and a
// timerfd for the upstream's token schedule. One thread, so the upstream's write time and a
// client's read time are taken on the same clock with no locking.
#pragma once

#include <cstdint>

namespace aibench {

class io_handler {
 public:
  virtual ~io_handler() = default;
  virtual void on_io(uint32_t events) = 0;
};

class loop {
 public:
  loop();
  ~loop();
  loop(const loop&) = delete;
  loop& operator=(const loop&) = delete;

  bool add(int fd, uint32_t events, io_handler* h);  // false if epoll refuses fd (a file)
  void mod(int fd, uint32_t events, io_handler* h);
  void del(int fd);

  // Wakes the loop at `due_ns` (CLOCK_MONOTONIC); INT64_MAX disarms. Cheap when unchanged.
  void wake_at(int64_t due_ns);

  // Waits up to `max_wait_ms` for events and runs their handlers. Returns the time (ns) at
  // which the wait returned, so callers can fire timers due by then.
  int64_t run_once(int max_wait_ms);

 private:
  int ep_ = -1;
  int tfd_ = -1;
  int64_t armed_ = INT64_MAX;
};

}  // namespace aibench
