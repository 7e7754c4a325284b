// Listener, I/O threads, the once-a-second sweep, graceful shutdown and the table of HTTP
// requests waiting for the embedding layer's answer.
#include "transport/server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "hub/hub.h"
#include "transport/http_session.h"
#include "transport/websocket_session.h"
#include "util/ids.h"
#include "util/log.h"

namespace sb::transport {

namespace {
constexpr auto sweep_period = std::chrono::milliseconds(250);
}

server::server(server_options opts, hub::hub& h, http_forwarder* forwarder)
    : opts_(std::move(opts)),
      hub_(h),
      forwarder_(forwarder),
      io_(),
      acceptor_(io_),
      sweep_timer_(io_) {
  parse_limits_.max_text_bytes = opts_.max_text_bytes;
  hub_.set_executor([this](std::function<void()> fn) { net::post(io_, std::move(fn)); });
}

server::~server() { stop(); }

bool server::start(std::string& error) {
  boost::system::error_code ec;
  auto addr = net::ip::make_address(opts_.host, ec);
  if (ec) {
    error = "host \"" + opts_.host + "\" is not an IP address";
    return false;
  }
  net::ip::tcp::endpoint ep(addr, opts_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error =
        "cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) + ": " + ec.message();
    return false;
  }
  port_ = acceptor_.local_endpoint().port();
  accept();
  sweep();
  unsigned n =
      opts_.io_threads ? opts_.io_threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; i++) threads_.emplace_back([this] { io_.run(); });
  util::log(
      util::log_level::info, "listening",
      {{"host", opts_.host}, {"port", std::to_string(port_)}, {"ioThreads", std::to_string(n)}});
  return true;
}

void server::accept() {
  acceptor_.async_accept(net::make_strand(io_),
                         [this](boost::system::error_code ec, net::ip::tcp::socket socket) {
                           if (stopping_) return;
                           if (!ec) {
                             std::make_shared<http_session>(std::move(socket), *this)->start();
                           } else if (ec == net::error::no_descriptors) {
                             util::log(util::log_level::warn, "accept: out of file descriptors");
                           }
                           accept();
                         });
}

void server::sweep() {
  sweep_timer_.expires_after(sweep_period);
  auto due = util::now_ms() + sweep_period.count();
  sweep_timer_.async_wait([this, due](boost::system::error_code ec) {
    if (ec) return;
    // How late the timer fired is how long handlers wait for an I/O thread: the server's lag,
    // which admission reads to hold back new connections before existing ones suffer.
    hub_.admit().report_io_lag(std::max<std::int64_t>(0, util::now_ms() - due));
    std::vector<std::shared_ptr<websocket_session>> live;
    {
      std::lock_guard<std::mutex> lock(sessions_mu_);
      live.reserve(sessions_.size());
      for (auto& kv : sessions_)
        if (auto s = kv.second.lock()) live.push_back(std::move(s));
    }
    auto now = util::now_ms();
    for (auto& s : live) s->tick(now);
    if (!stopping_) sweep();
  });
}

void server::add(const std::shared_ptr<websocket_session>& s) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions_[s.get()] = s;
}

void server::remove(websocket_session* s) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions_.erase(s);
}

std::size_t server::websocket_count() {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  return sessions_.size();
}

bool server::forward(http_request&& req, const std::shared_ptr<http_session>& from) {
  if (!forwarder_ || stopping_) return false;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    req.id = next_request_id_++;
    pending_[req.id] = from;
  }
  std::uint64_t id = req.id;
  if (forwarder_->forward(std::move(req))) return true;
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.erase(id);
  return false;
}

void server::respond(std::uint64_t id, unsigned status, header_list headers, std::string body) {
  std::shared_ptr<http_session> s;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    s = std::move(it->second);
    pending_.erase(it);
  }
  if (s) s->respond(status, std::move(headers), std::move(body));
}

void server::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  net::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<websocket_session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto& kv : sessions_)
      if (auto s = kv.second.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close(close_code::going_away, "server shutting down");
  live.clear();
  // Let the close handshakes finish (the peers answer, or the sweep lingers them out).
  auto deadline = util::now_ms() + opts_.shutdown_grace_ms;
  while (websocket_count() > 0 && util::now_ms() < deadline && !threads_.empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  net::post(io_, [this] { sweep_timer_.cancel(); });
  io_.stop();
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.clear();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  util::log(util::log_level::info, "stopped");
}

}  // namespace sb::transport
