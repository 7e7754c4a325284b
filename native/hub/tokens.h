// Signed, stateless tokens: a visitor token binds a visitor id to a site; an agent token binds
// an agent id to an expiry. HMAC-SHA256 with the server's secret, kept in the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::hub {

enum class token_error { none, malformed, bad_signature, expired, wrong_kind };

const char* to_string(token_error e);

class token_service {
 public:
  explicit token_service(std::string secret) : secret_(std::move(secret)) {}

  std::string visitor_token(std::string_view site, std::string_view visitor_id) const;
  token_error verify_visitor(std::string_view token, std::string& site,
                             std::string& visitor_id) const;

  std::string agent_token(std::string_view agent_id, std::int64_t expires_at_s) const;
  token_error verify_agent(std::string_view token, std::int64_t now_s, std::string& agent_id) const;

 private:
  std::string sign(char kind, std::string_view payload) const;
  token_error verify(char kind, std::string_view token, std::string& payload) const;

  std::string secret_;
};

}  // namespace sb::hub
