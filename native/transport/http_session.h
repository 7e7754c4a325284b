// One HTTP connection: reads requests with header and body limits, answers health and static
// files itself, forwards /api/* to the embedding layer, and hands /ws upgrades to a
// websocket_session.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "transport/server.h"

namespace sb::transport {

namespace beast = boost::beast;
namespace http = beast::http;

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(net::ip::tcp::socket&& socket, server& srv);
  void start();
  /** Writes the answer to the forwarded request (any thread). */
  void respond(unsigned status, header_list headers, std::string body);

 private:
  void read();
  void on_read(beast::error_code ec);
  void handle();
  void upgrade();
  void reply(unsigned status, std::string body, const char* content_type,
             const header_list& extra = {});
  void write(std::shared_ptr<http::response<http::string_body>> res);

  beast::tcp_stream stream_;
  server& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  bool head_ = false;
  std::string remote_;
};

}  // namespace sb::transport
