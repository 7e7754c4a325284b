// The listener and its I/O threads: accepts TCP connections, owns the set of live WebSocket
// sessions (for the keep-alive sweep and graceful shutdown), and routes HTTP requests that
// the core does not answer itself to the embedding layer (the JS admin API).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/client_frame.h"

namespace sb::hub {
class hub;
}

namespace sb::transport {

namespace net = boost::asio;

struct server_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  unsigned io_threads = 0;  // 0: one per core
  std::string web_root;     // static files; empty serves none
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_text_bytes = 16 * 1024;
  std::int64_t hello_timeout_ms = 10000;
  std::int64_t idle_timeout_ms = 120000;
  std::int64_t ping_interval_ms = 30000;
  std::size_t outbound_queue_bytes = 1 << 20;
  std::size_t max_http_body_bytes = 1 << 20;
  std::size_t max_http_header_bytes = 16 * 1024;
  std::int64_t shutdown_grace_ms = 5000;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/** An HTTP request handed to the embedding layer, answered later with server::respond. */
struct http_request {
  std::uint64_t id = 0;
  std::string method;
  std::string target;
  std::string remote;
  header_list headers;  // names lower-cased
  std::string body;
};

class http_forwarder {
 public:
  virtual ~http_forwarder() = default;
  /** Takes the request; false when nobody can answer (the server replies 503). */
  virtual bool forward(http_request&& req) = 0;
};

class websocket_session;
class http_session;

class server {
 public:
  server(server_options opts, hub::hub& h, http_forwarder* forwarder);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /** Binds, listens and starts the I/O threads. False with `error` on failure. */
  bool start(std::string& error);
  std::uint16_t port() const { return port_; }
  /** Stops accepting, closes every WebSocket with 1001, waits up to the grace period for them
   *  to go, then stops the I/O threads. Idempotent; not from an I/O thread. */
  void stop();

  /** Answers a forwarded HTTP request (any thread). Unknown or expired ids are ignored. */
  void respond(std::uint64_t id, unsigned status, header_list headers, std::string body);

  std::size_t websocket_count();

  // For sessions.
  const server_options& options() const { return opts_; }
  const protocol::parse_limits& parse_limits() const { return parse_limits_; }
  hub::hub& hub() { return hub_; }
  net::io_context& io() { return io_; }
  void add(const std::shared_ptr<websocket_session>& s);
  void remove(websocket_session* s);
  /** Forwards a request to the embedding layer; false if there is none. */
  bool forward(http_request&& req, const std::shared_ptr<http_session>& from);

 private:
  void accept();
  void sweep();

  server_options opts_;
  protocol::parse_limits parse_limits_;
  hub::hub& hub_;
  http_forwarder* forwarder_;
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  net::steady_timer sweep_timer_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;

  std::mutex sessions_mu_;
  std::unordered_map<websocket_session*, std::weak_ptr<websocket_session>> sessions_;

  std::mutex pending_mu_;
  std::uint64_t next_request_id_ = 1;
  // Holds the session alive while JS prepares the answer; JS always answers (errors become 500).
  std::unordered_map<std::uint64_t, std::shared_ptr<http_session>> pending_;  // pending_mu_
};

}  // namespace sb::transport
