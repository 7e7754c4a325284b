// upstream.cpp — the scripted chat-completions server (see upstream.h).
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "common.h"

namespace aibench {

struct upstream::conn final : io_handler {
  upstream* up = nullptr;
  int fd = -1;
  uint32_t slot = 0;
  uint64_t gen = 0;
  bool want_out = false, closed = false;
  std::string in, out;
  size_t out_off = 0;
  // The stream being sent, if any.
  bool streaming = false, want_usage = false;
  int sent = 0;
  size_t prompt_bytes = 0;
  std::string prefix;  // `data: {"id":…,"choices":[{"index":0,"delta":{` for this stream
  std::string usage_field;

  void on_io(uint32_t ev) override;
  void send(const char* p, size_t n);
  void flush();
};

struct upstream::listener final : io_handler {
  upstream* up = nullptr;
  void on_io(uint32_t) override { up->accept_all(); }
};

upstream::upstream(loop& l) : loop_(l) {}

upstream::~upstream() {
  for (auto& c : slots_)
    if (c && c->fd >= 0) ::close(c->fd);
  if (lfd_ >= 0) ::close(lfd_);
}

int upstream::listen_loopback() {
  lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd_, 4096) != 0)
    return -1;
  socklen_t len = sizeof a;
  ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
  listener_ = std::make_unique<listener>();
  listener_->up = this;
  loop_.add(lfd_, EPOLLIN, listener_.get());
  return ntohs(a.sin_port);
}

void upstream::accept_all() {
  for (;;) {
    int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as real API servers do
    auto c = std::make_unique<conn>();
    c->up = this;
    c->fd = fd;
    if (free_slots_.empty()) {
      c->slot = uint32_t(slots_.size());
      slots_.emplace_back();
    } else {
      c->slot = free_slots_.back();
      free_slots_.pop_back();
    }
    loop_.add(fd, EPOLLIN, c.get());
    slots_[c->slot] = std::move(c);
  }
}

void upstream::conn::on_io(uint32_t ev) {
  if (closed) return;
  if (ev & EPOLLOUT) flush();
  if (closed) return;
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    char buf[65536];
    ssize_t r = ::recv(fd, buf, sizeof buf, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return up->close_conn(*this);
    if (r > 0) {
      in.append(buf, size_t(r));
      if (!streaming) up->handle_requests(*this);
    }
  }
}

void upstream::conn::send(const char* p, size_t n) {
  if (closed) return;
  if (out_off < out.size()) {  // still queued from before: the reader is behind
    up->stats.backlogged_writes++;
    out.append(p, n);
    up->stats.max_backlog_bytes = std::max(up->stats.max_backlog_bytes, out.size() - out_off);
    return;
  }
  ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
  if (w < 0 && errno != EAGAIN && errno != EINTR) return up->close_conn(*this);
  size_t done = w > 0 ? size_t(w) : 0;
  if (done < n) {
    out.assign(p + done, n - done);
    out_off = 0;
    want_out = true;
    up->loop_.mod(fd, EPOLLIN | EPOLLOUT, this);
  }
}

void upstream::conn::flush() {
  while (out_off < out.size()) {
    ssize_t w = ::send(fd, out.data() + out_off, out.size() - out_off, MSG_NOSIGNAL);
    if (w > 0) {
      out_off += size_t(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    } else {
      return up->close_conn(*this);
    }
  }
  out.clear();
  out_off = 0;
  if (want_out) {
    want_out = false;
    up->loop_.mod(fd, EPOLLIN, this);
  }
}

namespace {

// Value of header `name` (lower case, with colon) in `head`, or empty.
std::string_view header(std::string_view head, std::string_view name) {
  for (size_t i = 0; i + name.size() < head.size();) {
    size_t eol = head.find("\r\n", i);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view line = head.substr(i, eol - i);
    if (line.size() > name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(name.size());
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return v;
    }
    i = eol + 2;
  }
  return {};
}

std::string_view last_tag(std::string_view body) {
  size_t at = body.rfind("bqtag-");
  if (at == std::string_view::npos) return {};
  size_t end = at;
  while (end < body.size() && (isalnum(static_cast<unsigned char>(body[end])) || body[end] == '-'))
    ++end;
  return body.substr(at, end - at);
}

constexpr char k_error_404[] =
    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 41\r\n\r\n"
    "{\"error\":{\"message\":\"unknown endpoint\"}}";

}  // namespace

void upstream::handle_requests(conn& c) {
  while (!c.streaming && !c.closed) {
    size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    std::string_view head(c.in.data(), head_end);
    std::string_view cl = header(head, "content-length:");
    if (!header(head, "transfer-encoding:").empty()) {  // no client in this bench does that
      stats.bad_requests++;
      return close_conn(c);
    }
    size_t body_len = cl.empty() ? 0 : size_t(std::atoll(std::string(cl).c_str()));
    if (c.in.size() < head_end + 4 + body_len) return;
    int64_t arrival = now_ns();
    std::string_view body(c.in.data() + head_end + 4, body_len);
    bool chat = head.rfind("POST ", 0) == 0 && head.find("/chat/completions ") != std::string_view::npos;
    if (chat) {
      start_stream(c, body, arrival);
    } else {
      stats.bad_requests++;
      c.send(k_error_404, sizeof k_error_404 - 1);
    }
    c.in.erase(0, head_end + 4 + body_len);
  }
}

void upstream::start_stream(conn& c, std::string_view body, int64_t arrival) {
  stats.requests++;
  streaming_++;
  stats.max_streams = std::max(stats.max_streams, streaming_);
  c.streaming = true;
  c.sent = 0;
  c.gen = ++gen_seq_;
  c.prompt_bytes = body.size();
  c.want_usage = body.find("\"include_usage\":true") != std::string_view::npos;
  // OpenAI sends `"usage":null` in every chunk when the request asked for usage.
  c.usage_field = c.want_usage ? ",\"usage\":null" : "";
  char id[48];
  std::snprintf(id, sizeof id, "chatcmpl-bench%llu", static_cast<unsigned long long>(next_id_++));
  c.prefix = std::string("data: {\"id\":\"") + id +
             "\",\"object\":\"chat.completion.chunk\",\"created\":1732500000,\"model\":\"bench-model\","
             "\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,\"delta\":{";
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\nCache-Control: no-cache\r\n\r\n";
  std::string role = c.prefix + "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                     "\"logprobs\":null,\"finish_reason\":null}]" + c.usage_field + "}\n\n";
  char size[16];
  int sn = std::snprintf(size, sizeof size, "%zx\r\n", role.size());
  head.append(size, size_t(sn)).append(role).append("\r\n");
  c.send(head.data(), head.size());
  if (hook_) hook_(last_tag(body), arrival);
  if (cfg_.tokens <= 0) return finish_stream(c);
  heap_.push({arrival + cfg_.first_ns, c.slot, c.gen});
}

void upstream::write_tokens(conn& c, int64_t due) {
  // Each token is its own HTTP chunk holding one SSE event: "<hex size>\r\n" + event + "\r\n".
  // The size field is fixed-width (4 hex digits; leading zeros are valid) so it can be filled
  // in after the event. A burst puts `burst` of them in one send(), as a busy upstream's
  // socket would; the timestamps are taken just before that send().
  static const std::string tail = "\"},\"logprobs\":null,\"finish_reason\":null}]";
  int k = std::min(cfg_.burst, cfg_.tokens - c.sent);
  char buf[8192];
  size_t n = 0;
  int64_t t = now_ns();
  lag.add(t - due);
  for (int j = 0; j < k && n + 1024 < sizeof buf; ++j) {
    size_t at = n;
    n += 6;
    std::memcpy(buf + n, c.prefix.data(), c.prefix.size());
    n += c.prefix.size();
    std::memcpy(buf + n, "\"content\":\"", 11);
    n += 11;
    n += encode_token(t, buf + n);
    std::memcpy(buf + n, tail.data(), tail.size());
    n += tail.size();
    std::memcpy(buf + n, c.usage_field.data(), c.usage_field.size());
    n += c.usage_field.size();
    std::memcpy(buf + n, "}\n\n\r\n", 5);
    n += 5;
    std::snprintf(buf + at, 7, "%04zx\r", n - at - 8);
    buf[at + 5] = '\n';
    c.sent++;
    stats.tokens++;
  }
  c.send(buf, n);
  if (c.sent >= cfg_.tokens) return finish_stream(c);
  // Next due on the schedule, not from now: a late tick does not slow the stream down.
  heap_.push({due + cfg_.interval_ns, c.slot, c.gen});
}

void upstream::finish_stream(conn& c) {
  std::string ev = c.prefix + "},\"logprobs\":null,\"finish_reason\":\"stop\"}]" + c.usage_field + "}\n\n";
  if (c.want_usage) {
    char usage[160];
    unsigned long long p = c.prompt_bytes / 4, k = unsigned(c.sent);
    std::snprintf(usage, sizeof usage, "\"usage\":{\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"total_tokens\":%llu}}\n\n",
                  p, k, p + k);
    // Same id and model, no choices: the prefix up to `"choices":[`.
    std::string base = c.prefix.substr(0, c.prefix.find("\"choices\""));
    ev += base + "\"choices\":[]," + usage;
  }
  ev += "data: [DONE]\n\n";
  char size[16];
  int sn = std::snprintf(size, sizeof size, "%zx\r\n", ev.size());
  std::string wire(size, size_t(sn));
  wire.append(ev).append("\r\n0\r\n\r\n");
  c.send(wire.data(), wire.size());
  c.streaming = false;
  c.gen = ++gen_seq_;
  streaming_--;
  stats.completed++;
  if (!c.in.empty()) handle_requests(c);
}

void upstream::fire_due(int64_t now) {
  // At most 256 writes per loop turn, so the clients' reads in this same loop are not starved
  // when the upstream falls behind (that shows as `lag`, not as relay latency).
  for (int budget = 256; budget > 0 && !heap_.empty() && heap_.top().due <= now; --budget) {
    due_entry e = heap_.top();
    heap_.pop();
    if (e.slot >= slots_.size()) continue;
    conn* c = slots_[e.slot].get();
    if (!c || c->gen != e.gen || !c->streaming || c->closed) continue;
    write_tokens(*c, e.due);
  }
}

void upstream::close_conn(conn& c) {
  if (c.closed) return;
  c.closed = true;
  if (c.streaming) {
    c.streaming = false;
    streaming_--;
    stats.aborted++;
  }
  loop_.del(c.fd);
  ::close(c.fd);
  c.fd = -1;
  free_slots_.push_back(c.slot);
  graveyard_.push_back(std::move(slots_[c.slot]));
}

void upstream::reap() { graveyard_.clear(); }

}  // namespace aibench
