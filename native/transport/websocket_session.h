// One WebSocket connection after the HTTP upgrade: reads frames on its strand with a shared
// per-thread buffer (idle connections hold no read buffer), hands text frames to the protocol
// codec and the hub, and coalesces every queued outbound frame into one write per flush.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "hub/client.h"
#include "hub/connection.h"
#include "transport/ws_frame.h"

namespace sb::transport {

class server;
namespace net = boost::asio;

class websocket_session final : public hub::connection,
                                public std::enable_shared_from_this<websocket_session> {
 public:
  websocket_session(net::ip::tcp::socket&& socket, server& srv, std::string origin,
                    std::string remote);
  ~websocket_session() override;

  /** Starts reading; `leftover` are bytes that arrived behind the upgrade request. */
  void start(std::string leftover);

  void send(hub::frame_ptr frame) override;
  void close(std::uint16_t code, std::string_view reason) override;

  /** Timer sweep from the server (any thread): hello timeout, keep-alive ping, idle, linger. */
  void tick(std::int64_t now_ms);

 private:
  enum state : int { awaiting_hello, ready, closing, closed };
  struct out_frame {
    hub::frame_ptr data;
    std::uint8_t opcode;
  };

  void arm_read();
  void on_readable(const boost::system::error_code& ec);
  void process(char* data, std::size_t n);
  bool on_event(ws_event ev, std::string_view payload);
  void on_text(std::string_view text);
  void enqueue(out_frame f, bool bypass_cap);
  void flush();
  void on_written(const boost::system::error_code& ec);
  void start_close(std::uint16_t code, std::string_view reason);
  void terminate();

  net::ip::tcp::socket socket_;
  net::strand<net::io_context::executor_type> strand_;
  server& server_;
  std::string origin_;
  std::string remote_;

  // Strand only.
  ws_reader reader_;
  std::string pending_in_;  // an incomplete frame carried to the next read
  hub::client_ptr client_;  // set once hello succeeded
  std::string wbuf_;        // frames being written, contiguous
  bool writing_ = false;
  bool terminate_after_write_ = false;

  // Any thread.
  std::mutex out_mu_;
  std::vector<out_frame> out_queue_;  // guarded by out_mu_
  std::size_t out_bytes_ = 0;         // queued + being written; guarded by out_mu_
  bool flush_pending_ = false;        // a flush is posted or a write runs; guarded by out_mu_
  bool dropped_ = false;              // guarded by out_mu_

  std::atomic<int> state_{awaiting_hello};
  std::atomic<std::int64_t> opened_ms_{0};
  std::atomic<std::int64_t> last_rx_ms_{0};
  std::atomic<std::int64_t> last_ping_ms_{0};
  std::atomic<std::int64_t> closing_since_ms_{0};
  std::atomic<bool> timeout_posted_{false};
  std::atomic<std::int64_t> write_since_ms_{0};  // start of the write in flight, 0 if none
};

}  // namespace sb::transport
