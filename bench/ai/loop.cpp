// loop.cpp — epoll + timerfd (see loop.h), and the /proc readers of common.h.
#include "loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "common.h"

namespace aibench {

int64_t epoch_ns = 0;

namespace {
constexpr int max_events = 1024;
}

loop::loop() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.ptr = nullptr;  // the timer: nothing to dispatch, waking up is the point
  epoll_ctl(ep_, EPOLL_CTL_ADD, tfd_, &e);
}

loop::~loop() {
  if (tfd_ >= 0) ::close(tfd_);
  if (ep_ >= 0) ::close(ep_);
}

bool loop::add(int fd, uint32_t events, io_handler* h) {
  epoll_event e{};
  e.events = events;
  e.data.ptr = h;
  return epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &e) == 0;
}

void loop::mod(int fd, uint32_t events, io_handler* h) {
  epoll_event e{};
  e.events = events;
  e.data.ptr = h;
  epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &e);
}

void loop::del(int fd) { epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr); }

void loop::wake_at(int64_t due_ns) {
  if (due_ns == armed_) return;
  armed_ = due_ns;
  itimerspec its{};
  if (due_ns != INT64_MAX) {
    its.it_value.tv_sec = due_ns / 1000000000;
    its.it_value.tv_nsec = due_ns % 1000000000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &its, nullptr);
}

int64_t loop::run_once(int max_wait_ms) {
  epoll_event events[max_events];
  int n = epoll_wait(ep_, events, max_events, max_wait_ms);
  int64_t t = now_ns();
  for (int k = 0; k < n; ++k) {
    auto* h = static_cast<io_handler*>(events[k].data.ptr);
    if (h) {
      h->on_io(events[k].events);
    } else {
      uint64_t expirations;
      if (::read(tfd_, &expirations, sizeof expirations) > 0) armed_ = INT64_MAX;
    }
  }
  return t;
}

double proc_cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t rp = s.rfind(')');  // the command name may contain spaces
  if (rp == std::string::npos) return -1;
  std::istringstream in(s.substr(rp + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

int64_t proc_rss_bytes(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

}  // namespace aibench
