// sse_pool.cpp — HTTP/1.1 keep-alive clients of an OpenAI-compatible endpoint: POST a
// streamed chat request, de-chunk the response, split it into SSE events and hand each
// chunk's `content` to the recorder. Used for the upstream itself (the floor) and for a
// gateway in front of it.
#include <errno.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common.h"
#include "pools.h"

namespace aibench {
namespace {

class sse_pool;

enum class body_mode { head, chunked, length, until_eof };

struct http_client final : io_handler {
  sse_pool* pool = nullptr;
  int index = 0, fd = -1;
  bool connecting = false, connected_once = false, dead = false;
  std::string out, in, events;  // events: de-chunked body not yet split into SSE events
  size_t out_off = 0;
  body_mode mode = body_mode::head;
  size_t left = 0;   // chunk or body bytes still to come
  bool crlf_due = false;
  int status = 0;
  void on_io(uint32_t ev) override;
};

class sse_pool final : public client_pool {
 public:
  sse_pool(loop& l, const target& t) : loop_(l), t_(t) {}
  ~sse_pool() override { close_all(); }

  void open(int n) override {
    for (int k = 0; k < n; ++k) {
      auto c = std::make_unique<http_client>();
      c->pool = this;
      c->index = int(cs_.size());
      replies.emplace_back();
      cs_.push_back(std::move(c));
      connect(*cs_.back());
    }
  }

  void request(int i, int64_t) override {
    http_client& c = *cs_[size_t(i)];
    if (c.dead) return;
    reply_state& r = replies[size_t(i)];
    uint32_t n = r.n + 1;
    r = reply_state{};
    r.n = n;
    r.active = true;
    std::string body = "{\"model\":\"bench-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" +
                       request_text(i, n) + "\"}]}";
    std::string req = "POST " + t_.path + " HTTP/1.1\r\nHost: " + t_.host_port +
                      "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
                      "Authorization: Bearer k\r\n";
    for (const auto& h : t_.headers) req += h + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    c.mode = body_mode::head;
    c.status = 0;
    c.events.clear();
    if (c.fd < 0) {  // the server closed it after the last reply: open another
      reconnects++;
      connect(c);
      if (c.dead) return;
    }
    c.out += req;
    r.send_ns = now_ns();
    if (!c.connecting) write_now(c);
  }

  void flush() override {}
  void reap() override {}

  void close_all() override {
    for (auto& c : cs_) drop(*c);
    ready = 0;
  }

  void on_io(http_client& c, uint32_t ev) {
    if (c.fd < 0) return;
    if (c.connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err || (ev & (EPOLLERR | EPOLLHUP))) return lose(c, "connect failed");
      c.connecting = false;
      if (!c.connected_once) {
        c.connected_once = true;
        ready++;
      }
    }
    if (c.out_off < c.out.size()) write_now(c);
    if (c.fd < 0 || !(ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[65536];
    int64_t t = now_ns();  // before recv(): the bytes were there by then
    ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) {  // closed: ends a reply read to EOF, or cuts one short (the recorder counts)
      drop(c);
      return end_reply(c);
    }
    c.in.append(buf, size_t(r));
    parse(c, t);
  }

  int reconnects = 0;

 private:
  void connect(http_client& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&t_.addr), sizeof t_.addr);
    if (r != 0 && errno != EINPROGRESS) return lose(c, "connect failed");
    c.connecting = true;
    c.in.clear();
    loop_.add(c.fd, EPOLLIN | EPOLLOUT, &c);
  }

  void write_now(http_client& c) {
    while (c.out_off < c.out.size()) {
      ssize_t w = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (w > 0) c.out_off += size_t(w);
      else if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
      else return lose(c, "write failed");
    }
    bool want = c.out_off < c.out.size();
    if (!want) {
      c.out.clear();
      c.out_off = 0;
    }
    loop_.mod(c.fd, EPOLLIN | (want ? uint32_t(EPOLLOUT) : 0u), &c);
  }

  // Consumes c.in: the status line and headers, then the body (chunked, sized or to EOF).
  void parse(http_client& c, int64_t t) {
    if (c.mode == body_mode::head) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      std::string head = c.in.substr(0, end);
      c.in.erase(0, end + 4);
      c.status = std::atoi(head.c_str() + 9);
      for (char& ch : head) ch = char(tolower(static_cast<unsigned char>(ch)));
      size_t cl = head.find("\ncontent-length:");
      if (head.find("transfer-encoding: chunked") != std::string::npos) {
        c.mode = body_mode::chunked;
        c.left = 0;
        c.crlf_due = false;
      } else if (cl != std::string::npos) {
        c.mode = body_mode::length;
        c.left = size_t(std::atoll(head.c_str() + cl + 16));
      } else {
        c.mode = body_mode::until_eof;
      }
      if (c.status != 200) rec->note("HTTP " + std::to_string(c.status) + ": " + head.substr(0, 200));
    }
    bool done = false;
    if (c.mode == body_mode::chunked) {
      done = dechunk(c);
    } else {
      size_t take = c.mode == body_mode::length ? std::min(c.left, c.in.size()) : c.in.size();
      c.events.append(c.in, 0, take);
      c.in.erase(0, take);
      if (c.mode == body_mode::length) {
        c.left -= take;
        done = c.left == 0;
      }
    }
    split_events(c, t);
    if (done) {
      if (c.status != 200 && !c.events.empty()) rec->note(c.events.substr(0, 200));
      end_reply(c);
    }
  }

  // Moves whole chunks from c.in to c.events; true once the last (empty) chunk arrived.
  bool dechunk(http_client& c) {
    for (;;) {
      if (c.crlf_due) {
        if (c.in.size() < 2) return false;
        c.in.erase(0, 2);
        c.crlf_due = false;
      }
      if (c.left == 0) {
        size_t eol = c.in.find("\r\n");
        if (eol == std::string::npos) return false;
        size_t size = size_t(std::strtoull(c.in.c_str(), nullptr, 16));
        if (size == 0) {
          if (c.in.size() < eol + 4) return false;  // "0\r\n\r\n" (no trailers here)
          c.in.erase(0, eol + 4);
          c.mode = body_mode::head;
          return true;
        }
        c.in.erase(0, eol + 2);
        c.left = size;
      }
      size_t take = std::min(c.left, c.in.size());
      if (take == 0) return false;
      c.events.append(c.in, 0, take);
      c.in.erase(0, take);
      c.left -= take;
      if (c.left == 0) c.crlf_due = true;
    }
  }

  void split_events(http_client& c, int64_t t) {
    size_t start = 0;
    for (;;) {
      size_t end = c.events.find("\n\n", start);
      if (end == std::string::npos) break;
      std::string_view ev(c.events.data() + start, end - start);
      start = end + 2;
      size_t at = ev.find("\"content\":\"");
      if (at == std::string_view::npos || c.status != 200) continue;
      at += 11;
      size_t close = ev.find('"', at);  // tokens never contain quotes or escapes
      if (close == std::string_view::npos || close == at) continue;
      reply_state& r = replies[size_t(c.index)];
      if (r.active) rec->on_content(r, ev.substr(at, close - at), t);
    }
    c.events.erase(0, start);
  }

  void end_reply(http_client& c) {
    reply_state& r = replies[size_t(c.index)];
    if (!r.active) return;
    rec->on_reply_end(r, expected_tokens);
    if (on_reply_done) on_reply_done(c.index);
  }

  void drop(http_client& c) {
    if (c.fd < 0) return;
    loop_.del(c.fd);
    ::close(c.fd);
    c.fd = -1;
    c.out.clear();
    c.out_off = 0;
  }

  void lose(http_client& c, const char* why) {
    rec->note("http client " + std::to_string(c.index) + ": " + why);
    if (c.fd >= 0) drop(c);
    if (c.connected_once && !c.dead) ready--;
    c.dead = true;
    closed++;
    end_reply(c);
  }

  loop& loop_;
  target t_;
  std::vector<std::unique_ptr<http_client>> cs_;
};

void http_client::on_io(uint32_t ev) { pool->on_io(*this, ev); }

}  // namespace

std::unique_ptr<client_pool> make_sse_pool(loop& l, const target& t) {
  return std::make_unique<sse_pool>(l, t);
}

}  // namespace aibench
