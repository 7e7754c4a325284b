// HTTP/1.1 on the public port: limits, routing, the WebSocket upgrade.
#include "transport/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "transport/static_files.h"
#include "transport/websocket_session.h"

namespace sb::transport {

namespace {
constexpr auto request_timeout = std::chrono::seconds(30);
constexpr const char* json_type = "application/json";

bool has_token(std::string_view list, std::string_view token) {
  // Comma-separated header value, case-sensitive tokens (subprotocol names).
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    auto item = list.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == token) return true;
    pos = end + 1;
  }
  return false;
}
}  // namespace

http_session::http_session(net::ip::tcp::socket&& socket, server& srv)
    : stream_(std::move(socket)), server_(srv) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

void http_session::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
}

void http_session::read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.options().max_http_header_bytes));
  parser_->body_limit(server_.options().max_http_body_bytes);
  stream_.expires_after(request_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::eof) {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  keep_alive_ = false;
  if (ec == http::error::body_limit)
    return reply(413, R"({"error":{"code":"too_large","message":"request body too large"}})",
                 json_type);
  if (ec == http::error::header_limit)
    return reply(431, R"({"error":{"code":"too_large","message":"request headers too large"}})",
                 json_type);
  if (ec)
    return reply(400, R"({"error":{"code":"invalid","message":"malformed HTTP request"}})",
                 json_type);
  handle();
}

void http_session::handle() {
  auto& req = parser_->get();
  keep_alive_ = req.keep_alive();
  head_ = req.method() == http::verb::head;
  std::string_view target = req.target();
  std::string path = decode_path(target);

  if (path == "/ws") {
    if (beast::websocket::is_upgrade(req)) return upgrade();
    return reply(426, R"({"error":{"code":"invalid","message":"WebSocket upgrade required"}})",
                 json_type, {{"Upgrade", "websocket"}});
  }
  if (path == "/api/v1/health") {
    return reply(200, R"({"status":"ok"})", json_type);
  }
  if (path.rfind("/api/", 0) == 0 || path == "/metrics") {  // answered by the JS layer
    http_request fwd;
    fwd.method = std::string(req.method_string());
    fwd.target = std::string(target);
    fwd.remote = remote_;
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      fwd.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    fwd.body = std::move(req.body());
    if (!server_.forward(std::move(fwd), shared_from_this()))
      return reply(503,
                   R"({"error":{"code":"unavailable","message":"the admin API is not available"}})",
                   json_type);
    return;  // answered later through respond()
  }
  if (req.method() != http::verb::get && !head_) {
    return reply(405, R"({"error":{"code":"invalid","message":"method not allowed"}})", json_type,
                 {{"Allow", "GET, HEAD"}});
  }
  auto file = load_static(server_.options().web_root, target);
  if (!file.found)
    return reply(404, R"({"error":{"code":"not_found","message":"not found"}})", json_type);
  reply(200, std::move(file.body), file.content_type.c_str(), {{"Cache-Control", "no-cache"}});
}

void http_session::upgrade() {
  auto& req = parser_->get();
  auto key = req[http::field::sec_websocket_key];
  if (req[http::field::sec_websocket_version] != "13" || key.empty() || key.size() > 24) {
    keep_alive_ = false;
    return reply(400, R"({"error":{"code":"invalid","message":"bad WebSocket handshake"}})",
                 json_type, {{"Sec-WebSocket-Version", "13"}});
  }
  beast::websocket::detail::sec_ws_accept_type accept;
  beast::websocket::detail::make_sec_ws_accept(accept, key);
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response.append(accept.data(), accept.size());
  response += "\r\n";
  if (has_token(req[http::field::sec_websocket_protocol], "switchboard.v1"))
    response += "Sec-WebSocket-Protocol: switchboard.v1\r\n";
  response += "\r\n";

  std::string origin(req[http::field::origin]);
  std::string leftover(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  stream_.expires_never();
  auto socket = stream_.release_socket();
  // The handshake answer is small: write it synchronously before the session takes over.
  beast::error_code ec;
  net::write(socket, net::buffer(response), ec);
  if (ec) return;
  auto ws =
      std::make_shared<websocket_session>(std::move(socket), server_, std::move(origin), remote_);
  server_.add(ws);
  ws->start(std::move(leftover));
}

void http_session::respond(unsigned status, header_list headers, std::string body) {
  net::post(stream_.get_executor(),
            [self = shared_from_this(), status, headers = std::move(headers),
             body = std::move(body)]() mutable {
              std::string type = json_type;
              header_list extra;
              for (auto& h : headers) {
                if (beast::iequals(h.first, "content-type"))
                  type = h.second;
                else
                  extra.push_back(std::move(h));
              }
              self->reply(status, std::move(body), type.c_str(), extra);
            });
}

void http_session::reply(unsigned status, std::string body, const char* content_type,
                         const header_list& extra) {
  auto res =
      std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  res->set(http::field::server, "switchboard");
  res->set(http::field::content_type, content_type);
  res->set("X-Content-Type-Options", "nosniff");
  for (const auto& h : extra) res->set(h.first, h.second);
  res->keep_alive(keep_alive_);
  res->body() = std::move(body);
  res->prepare_payload();
  if (head_) res->body().clear();
  write(std::move(res));
}

void http_session::write(std::shared_ptr<http::response<http::string_body>> res) {
  stream_.expires_after(request_timeout);
  http::async_write(
      stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
        if (ec || !self->keep_alive_) {
          beast::error_code ignored;
          self->stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
          return;
        }
        self->read();
      });
}

}  // namespace sb::transport
