// net_loop.cpp — epoll loop of the load generator (see net_loop.h).
#include "net_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

namespace loadgen {
namespace {
constexpr uint32_t stdin_tag = UINT32_MAX;
constexpr int max_events = 1024;
}  // namespace

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

net_loop::net_loop(const sockaddr_in& dst, std::string host_port, std::string path, int sources)
    : dst_(dst), host_port_(std::move(host_port)), path_(std::move(path)),
      sources_(sources < 1 ? 1 : sources), scratch_(256 * 1024) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
}

net_loop::~net_loop() {
  close_all();
  if (epfd_ >= 0) ::close(epfd_);
}

int net_loop::add_conn() {
  int i = int(conns_.size());
  conns_.emplace_back();
  dirty_flag_.push_back(0);
  ws_conn& c = conns_.back();
  c.mask_seed = 0x9e3779b9u ^ (uint32_t(i) * 0x85ebca6bu);
  sockaddr_in src{};
  bool bind_src = sources_ > 1;
  if (bind_src) {
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | uint32_t(1 + i % sources_));
  }
  if (!ws_connect(c, dst_, bind_src ? &src : nullptr)) return -1;
  ws_queue_upgrade(c, host_port_, path_);
  epoll_event e{};
  e.events = EPOLLOUT;  // writable = connect finished (or failed)
  e.data.u32 = uint32_t(i);
  epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &e);
  c.want_write = true;
  ++connecting_;
  return i;
}

void net_loop::send_text(int i, std::string_view payload) {
  ws_conn& c = conns_[size_t(i)];
  if (c.state != ws_state::open) return;
  ws_queue_text(c, payload);
  if (!dirty_flag_[size_t(i)]) {
    dirty_flag_[size_t(i)] = 1;
    dirty_.push_back(i);
  }
}

void net_loop::set_interest(int i, bool want_write) {
  ws_conn& c = conns_[size_t(i)];
  if (c.want_write == want_write || c.fd < 0) return;
  epoll_event e{};
  e.events = EPOLLIN | (want_write ? uint32_t(EPOLLOUT) : 0u);
  e.data.u32 = uint32_t(i);
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &e);
  c.want_write = want_write;
}

void net_loop::finish(int i, const ws_events& ev, void* ctx) {
  ws_conn& c = conns_[size_t(i)];
  if (c.fd < 0) return;
  if (c.state == ws_state::connecting) --connecting_;
  if (c.state == ws_state::upgrading || c.state == ws_state::open) --open_;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ws_close(c);
  ev.on_closed(ctx, i);
}

void net_loop::flush_dirty(const ws_events& ev, void* ctx) {
  for (size_t k = 0; k < dirty_.size(); ++k) {
    int i = dirty_[k];
    dirty_flag_[size_t(i)] = 0;
    ws_conn& c = conns_[size_t(i)];
    if (c.fd < 0) continue;
    if (!ws_flush(c)) {
      finish(i, ev, ctx);
      continue;
    }
    set_interest(i, !c.out.empty());
  }
  dirty_.clear();
}

int net_loop::poll_once(int timeout_ms, const ws_events& ev, void* ctx) {
  flush_dirty(ev, ctx);
  epoll_event events[max_events];
  int n = epoll_wait(epfd_, events, max_events, timeout_ms);
  for (int k = 0; k < n; ++k) {
    uint32_t tag = events[k].data.u32;
    if (tag == stdin_tag) {
      char buf[256];
      ssize_t r = ::read(0, buf, sizeof buf);
      if (r <= 0 && !(r < 0 && errno == EINTR)) {
        stdin_closed_ = true;
        epoll_ctl(epfd_, EPOLL_CTL_DEL, 0, nullptr);
      }
      continue;
    }
    int i = int(tag);
    ws_conn& c = conns_[size_t(i)];
    if (c.fd < 0) continue;
    uint32_t what = events[k].events;
    if (c.state == ws_state::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (what & (EPOLLERR | EPOLLHUP))) {
        finish(i, ev, ctx);
        continue;
      }
      --connecting_;
      ++open_;
      c.state = ws_state::upgrading;
      if (!ws_flush(c)) {
        finish(i, ev, ctx);
        continue;
      }
      epoll_event e{};
      c.want_write = !c.out.empty();
      e.events = EPOLLIN | (c.want_write ? uint32_t(EPOLLOUT) : 0u);
      e.data.u32 = uint32_t(i);
      epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &e);
      continue;
    }
    if (what & EPOLLOUT) {
      if (!ws_flush(c)) {
        finish(i, ev, ctx);
        continue;
      }
      set_interest(i, !c.out.empty());
    }
    if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (!ws_on_readable(c, i, scratch_.data(), scratch_.size(), ev, ctx)) {
        finish(i, ev, ctx);
        continue;
      }
      if (!c.out.empty() && !dirty_flag_[size_t(i)]) {  // pongs or frames queued by handlers
        dirty_flag_[size_t(i)] = 1;
        dirty_.push_back(i);
      }
    }
  }
  flush_dirty(ev, ctx);
  return n < 0 ? 0 : n;
}

void net_loop::watch_stdin() {
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u32 = stdin_tag;
  stdin_watched_ = epoll_ctl(epfd_, EPOLL_CTL_ADD, 0, &e) == 0;
  if (!stdin_watched_) {  // a file or /dev/null: nothing to wait for if it is already at EOF
    char b;
    stdin_closed_ = ::read(0, &b, 1) == 0;
  }
}

void net_loop::close_all() {
  for (auto& c : conns_) {
    if (c.fd >= 0) epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
    ws_close(c);
  }
  open_ = connecting_ = 0;
  dirty_.clear();
}

}  // namespace loadgen
