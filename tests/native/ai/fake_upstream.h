// A tiny HTTP/1.1 upstream for the AI client's tests: POSIX sockets on 127.0.0.1 (port 0), one
// thread per connection, a test-supplied script per request. It can stream SSE with delays,
// answer any status, cut a connection, stay silent, and see when the client hangs up.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace sb::ai::testing {

using test_clock = std::chrono::steady_clock;

inline std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

struct http_request {
  std::string method, target, head, body;
  test_clock::time_point at;
  std::size_t connection = 0;  // which accepted connection it came on

  /** The value of header `name` (case-insensitive), "" when absent. */
  std::string header(const std::string& name) const {
    std::string h = lower(head), key = "\r\n" + lower(name) + ":";
    std::size_t at_ = h.find(key);
    if (at_ == std::string::npos) return {};
    std::size_t start = at_ + key.size(), end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

/** One accepted connection, as the request's script sees it. */
class upstream_conn {
 public:
  upstream_conn(int fd, const std::atomic<bool>& stop) : fd_(fd), stop_(stop) {}

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /** A whole response with Content-Length; `keep_alive` leaves the connection open for the
   *  next request. */
  bool respond(int status, const std::string& type, const std::string& body,
               const std::string& extra_headers = "", bool keep_alive = false) {
    keep_alive_ = keep_alive;
    return send("HTTP/1.1 " + std::to_string(status) + " Status\r\nContent-Type: " + type +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
                (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body);
  }
  /** The head of a chunked text/event-stream answer; send events with chunk(). */
  bool sse_head() {
    return send(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  }
  /** The head of an answer whose end is the connection's close (no length, not chunked). */
  bool sse_head_until_close() {
    return send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
  }
  bool chunk(std::string_view bytes) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    return send(size) && send(bytes) && send("\r\n");
  }
  bool end_chunks() { return send("0\r\n\r\n"); }
  /** Closes the socket now, whatever the response's state. */
  void cut() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    closed_ = true;
  }
  /** Sleeps, returning early (false) when the server stops. */
  bool pause(int ms) {
    auto until = test_clock::now() + std::chrono::milliseconds(ms);
    while (test_clock::now() < until) {
      if (stop_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
  /** Waits for the client to close the connection: when it did, or nullopt after `timeout_ms`
   *  (or when the server stops). Whatever the client sends meanwhile is discarded. */
  std::optional<test_clock::time_point> wait_closed(int timeout_ms) {
    auto until = test_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[4096];
    while (!stop_ && test_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, 5);
      if (r <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return test_clock::now();
      }
    }
    return std::nullopt;
  }

  int fd() const { return fd_; }
  bool keep_alive() const { return keep_alive_ && !closed_; }
  bool closed() const { return closed_; }

 private:
  int fd_;
  const std::atomic<bool>& stop_;
  bool keep_alive_ = false;
  bool closed_ = false;
};

class fake_upstream {
 public:
  /** Called once per request, on that connection's thread; `index` counts requests from 0. */
  using script = std::function<void(const http_request&, upstream_conn&, int index)>;

  explicit fake_upstream(script s) : script_(std::move(s)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("fake_upstream: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~fake_upstream() {
    stop_ = true;
    accept_thread_.join();
    ::close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  fake_upstream(const fake_upstream&) = delete;
  fake_upstream& operator=(const fake_upstream&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  std::vector<http_request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  std::size_t connection_count() const { return connections_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::size_t conn = connections_++;
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([this, fd, conn] { serve(fd, conn); });
    }
  }

  void serve(int fd, std::size_t conn_index) {
    upstream_conn conn(fd, stop_);
    http_request req;
    std::string in;  // bytes read and not yet part of a request
    while (read_request(fd, in, req)) {
      req.connection = conn_index;
      int index;
      {
        std::lock_guard<std::mutex> lock(mu_);
        index = static_cast<int>(requests_.size());
        requests_.push_back(req);
      }
      script_(req, conn, index);
      if (!conn.keep_alive()) break;
    }
    ::close(fd);
  }

  /** Reads one request (head and Content-Length body); false on close, error or stop. */
  bool read_request(int fd, std::string& in, http_request& req) {
    std::size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(fd, in)) return false;
    req = {};
    req.head = in.substr(0, head_end + 2);
    req.at = test_clock::now();
    std::size_t sp1 = req.head.find(' '), sp2 = req.head.find(' ', sp1 + 1);
    req.method = req.head.substr(0, sp1);
    req.target = req.head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string cl = req.header("Content-Length");
    std::size_t length = cl.empty() ? 0 : std::stoul(cl);
    while (in.size() < head_end + 4 + length)
      if (!read_more(fd, in)) return false;
    req.body = in.substr(head_end + 4, length);
    in.erase(0, head_end + 4 + length);
    return true;
  }

  bool read_more(int fd, std::string& in) {
    char buf[8192];
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 10);
      if (r < 0) return false;
      if (r == 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  }

  script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<http_request> requests_;
};

// --- SSE payloads as chat-completions upstreams send them ---

inline std::string sse(const nlohmann::json& j) { return "data: " + j.dump() + "\n\n"; }

inline std::string role_event() {
  return sse({{"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}}}}}}});
}

inline std::string content_event(const std::string& text) {
  return sse(
      {{"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}});
}

inline std::string finish_event(const std::string& reason) {
  return sse({{"choices",
               {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", reason}}}}});
}

inline std::string usage_event(int prompt, int completion) {
  return sse({{"choices", nlohmann::json::array()},
              {"usage",
               {{"prompt_tokens", prompt},
                {"completion_tokens", completion},
                {"total_tokens", prompt + completion}}}});
}

inline std::string tool_event(const std::string& name, const std::string& args) {
  nlohmann::json fn = {{"arguments", args}};
  if (!name.empty()) fn["name"] = name;
  return sse({{"choices",
               {{{"index", 0}, {"delta", {{"tool_calls", {{{"index", 0}, {"function", fn}}}}}}}}}});
}

inline const std::string done_event = "data: [DONE]\n\n";

}  // namespace sb::ai::testing
