// WebSocket session: read -> parse -> hub, and queued frames -> one coalesced write per flush.
#include "transport/websocket_session.h"

#include <array>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "hub/hub.h"
#include "protocol/server_frame.h"
#include "transport/server.h"
#include "util/ids.h"

namespace sb::transport {

namespace {
constexpr std::int64_t linger_ms = 3000;  // wait for the peer's close frame after ours
constexpr int reads_per_wakeup = 4;       // fairness between busy connections
constexpr std::size_t shrink_above = 64 * 1024;
// Over the byte cap, a connection is dropped once its socket has refused to take a write for
// this long (the peer stopped reading), or at once past hard_cap_factor times the cap. A
// healthy reader that merely got a burst faster than one flush is never dropped.
constexpr std::int64_t stall_ms = 250;
constexpr std::size_t hard_cap_factor = 8;

const char* error_code_for(protocol::parse_error e) {
  return e == protocol::parse_error::too_large ? "too_large" : "invalid";
}
}  // namespace

websocket_session::websocket_session(net::ip::tcp::socket&& socket, server& srv, std::string origin,
                                     std::string remote)
    : socket_(std::move(socket)),
      strand_(net::make_strand(srv.io())),
      server_(srv),
      origin_(std::move(origin)),
      remote_(std::move(remote)),
      reader_(srv.options().max_frame_bytes) {
  auto now = util::now_ms();
  opened_ms_ = now;
  last_rx_ms_ = now;
  last_ping_ms_ = now;
}

websocket_session::~websocket_session() = default;

void websocket_session::start(std::string leftover) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(net::ip::tcp::no_delay(true), ec);
  net::dispatch(strand_, [self = shared_from_this(), leftover = std::move(leftover)]() mutable {
    if (!leftover.empty()) self->process(leftover.data(), leftover.size());
    if (self->state_ != closed) self->arm_read();
  });
}

void websocket_session::arm_read() {
  socket_.async_wait(
      net::ip::tcp::socket::wait_read,
      net::bind_executor(strand_, [self = shared_from_this()](auto ec) { self->on_readable(ec); }));
}

void websocket_session::on_readable(const boost::system::error_code& ec) {
  if (state_ == closed) return;
  if (ec) return terminate();
  // One read buffer per I/O thread, not per connection: complete frames are handled in place
  // and only an unfinished frame is copied into the session.
  thread_local std::array<char, 64 * 1024> buf;
  for (int i = 0; i < reads_per_wakeup; i++) {
    boost::system::error_code rec;
    std::size_t n = socket_.read_some(net::buffer(buf), rec);
    if (rec == net::error::would_block || rec == net::error::try_again) break;
    if (rec) return terminate();  // EOF or reset
    process(buf.data(), n);
    if (state_ == closed) return;
    if (n < buf.size()) break;
  }
  if (server_.hub().backlogged()) {
    // The store is behind: wait before reading more, so the kernel's buffers fill and the
    // client slows down (TCP back-pressure) instead of our queues growing.
    auto timer = std::make_shared<net::steady_timer>(strand_, std::chrono::milliseconds(5));
    timer->async_wait([self = shared_from_this(), timer](auto ec) {
      if (!ec && self->state_ != closed) self->arm_read();
    });
    return;
  }
  arm_read();
}

void websocket_session::process(char* data, std::size_t n) {
  last_rx_ms_ = util::now_ms();
  std::uint16_t err = 0;
  auto handler = [this](ws_event ev, std::string_view p) { return on_event(ev, p); };
  if (pending_in_.empty()) {
    std::size_t used = reader_.feed(data, n, err, handler);
    if (!err && used < n) pending_in_.assign(data + used, n - used);
  } else {
    pending_in_.append(data, n);
    std::size_t used = reader_.feed(pending_in_.data(), pending_in_.size(), err, handler);
    pending_in_.erase(0, used);
  }
  if (err) {
    pending_in_.clear();
    start_close(err, err == close_code::too_big ? "frame too big" : "protocol error");
  }
}

bool websocket_session::on_event(ws_event ev, std::string_view payload) {
  if (state_ >= closing && ev != ws_event::close) return false;
  switch (ev) {
    case ws_event::text:
      on_text(payload);
      break;
    case ws_event::binary:
      start_close(close_code::malformed, "binary frames are not part of v1");
      break;
    case ws_event::ping:
      enqueue({hub::make_frame(std::string(payload)), 0xA}, true);
      break;
    case ws_event::pong:
      break;
    case ws_event::close: {
      std::uint16_t code = close_code::normal;
      if (payload.size() >= 2)
        code =
            static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
      if (state_ >= closing) {
        terminate();  // the answer to our own close
      } else {
        start_close(code, "");  // echo, then close the TCP connection
      }
      return false;
    }
  }
  return state_ < closing;
}

void websocket_session::on_text(std::string_view text) {
  auto r = protocol::parse_client_frame(text, server_.parse_limits());
  if (!client_) {
    if (r.frame.type != protocol::client_type::hello)
      return start_close(close_code::unauthorized, "the first frame must be hello");
    if (r.error != protocol::parse_error::none)
      return start_close(close_code::unauthorized, r.message);  // names the bad field
    hub::peer_info peer{origin_, remote_};
    auto out = server_.hub().hello(shared_from_this(), r.frame, peer);
    if (!out.client) return start_close(out.close_code, out.close_reason);
    client_ = std::move(out.client);
    int expected = awaiting_hello;
    state_.compare_exchange_strong(expected, ready);
    return;
  }
  if (r.error != protocol::parse_error::none) {
    send(hub::make_frame(protocol::error(r.ref, error_code_for(r.error), r.message)));
    return;
  }
  server_.hub().on_frame(client_, r.frame);
}

void websocket_session::send(hub::frame_ptr frame) { enqueue({std::move(frame), 0x1}, false); }

void websocket_session::enqueue(out_frame f, bool bypass_cap) {
  bool post_flush = false, drop = false;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (dropped_ || state_ == closed) return;
    if (state_ == closing && f.opcode != 0x8) return;  // nothing may follow our close frame
    out_bytes_ += f.data->size();
    std::size_t cap = server_.options().outbound_queue_bytes;
    if (!bypass_cap && out_bytes_ > cap) {
      std::int64_t since = write_since_ms_.load(std::memory_order_relaxed);
      bool stalled = since != 0 && util::now_ms() - since > stall_ms;
      // A consumer that does not read would grow our memory without bound: drop it.
      drop = stalled || out_bytes_ > cap * hard_cap_factor;
    }
    if (drop) {
      dropped_ = true;
      out_queue_.clear();
    } else {
      out_queue_.push_back(std::move(f));
      if (!flush_pending_) post_flush = flush_pending_ = true;
    }
  }
  // Never act on the session inline: callers may hold hub or registry locks.
  if (drop) net::post(strand_, [self = shared_from_this()] { self->terminate(); });
  if (post_flush) net::post(strand_, [self = shared_from_this()] { self->flush(); });
}

void websocket_session::flush() {
  if (writing_ || state_ == closed) return;
  std::vector<out_frame> batch;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (out_queue_.empty()) {
      flush_pending_ = false;
      return;
    }
    batch.swap(out_queue_);
  }
  // Copy every queued frame behind its header into one buffer: one syscall per flush,
  // whatever the number of frames (the payloads are shared, so copying is the cheap part).
  std::size_t total = 0;
  for (const auto& f : batch) total += f.data->size() + 10;
  wbuf_.clear();
  wbuf_.reserve(total);
  char hdr[10];
  for (const auto& f : batch) {
    wbuf_.append(hdr, ws_frame_header(f.opcode, f.data->size(), hdr));
    wbuf_.append(*f.data);
  }
  writing_ = true;
  write_since_ms_ = util::now_ms();
  net::async_write(
      socket_, net::buffer(wbuf_),
      net::bind_executor(strand_, [self = shared_from_this(), n = batch.size()](
                                      auto ec, std::size_t) { self->on_written(ec); }));
  std::size_t payload = total - 10 * batch.size();
  std::lock_guard<std::mutex> lock(out_mu_);
  out_bytes_ -= std::min(out_bytes_, payload);
}

void websocket_session::on_written(const boost::system::error_code& ec) {
  writing_ = false;
  write_since_ms_ = 0;
  if (ec) return terminate();
  if (wbuf_.capacity() > shrink_above) std::string().swap(wbuf_);
  if (terminate_after_write_) {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (out_queue_.empty()) {
      boost::system::error_code ignored;
      socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    }
  }
  flush();
}

void websocket_session::close(std::uint16_t code, std::string_view reason) {
  net::post(strand_, [self = shared_from_this(), code, reason = std::string(reason)] {
    self->start_close(code, reason);
  });
}

void websocket_session::start_close(std::uint16_t code, std::string_view reason) {
  int s = state_;
  if (s >= closing) return;
  state_ = closing;
  closing_since_ms_ = util::now_ms();
  terminate_after_write_ = true;  // half-close after the close frame; the peer then closes
  enqueue({hub::make_frame(ws_close_payload(code, reason)), 0x8}, true);
}

void websocket_session::terminate() {
  if (state_.exchange(closed) == closed) return;
  boost::system::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    out_queue_.clear();
    out_bytes_ = 0;
  }
  if (client_) {
    server_.hub().goodbye(client_);
    client_.reset();
  }
  server_.remove(this);
}

void websocket_session::tick(std::int64_t now) {
  int s = state_;
  const auto& o = server_.options();
  auto self = shared_from_this();
  if (s == awaiting_hello && now - opened_ms_ > o.hello_timeout_ms) {
    if (!timeout_posted_.exchange(true))
      net::post(strand_, [self] { self->start_close(close_code::hello_timeout, "hello timeout"); });
  } else if (s == ready) {
    std::int64_t idle = now - last_rx_ms_;
    if (idle > o.idle_timeout_ms) {
      net::post(strand_, [self] { self->terminate(); });
    } else if (idle > o.ping_interval_ms && now - last_ping_ms_ > o.ping_interval_ms) {
      last_ping_ms_ = now;
      enqueue({hub::make_frame(std::string()), 0x9}, true);
    }
  } else if (s == closing && now - closing_since_ms_ > linger_ms) {
    net::post(strand_, [self] { self->terminate(); });
  }
}

}  // namespace sb::transport
