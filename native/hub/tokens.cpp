// Token format: "<kind>.<base64url(payload)>.<base64url(hmac[0..20))>", kind 'v' or 'a'.
// Payloads: visitor "site\nvisitor_id"; agent "agent_id\nexpires_at_seconds".
#include "hub/tokens.h"

#include <charconv>

#include "util/sha256.h"

namespace sb::hub {

const char* to_string(token_error e) {
  switch (e) {
    case token_error::none:
      return "ok";
    case token_error::malformed:
      return "malformed token";
    case token_error::bad_signature:
      return "invalid token";
    case token_error::expired:
      return "token expired";
    case token_error::wrong_kind:
      return "wrong kind of token";
  }
  return "invalid token";
}

namespace {
// 160 bits of the HMAC are plenty against forgery and keep tokens short.
constexpr std::size_t mac_bytes = 20;
}  // namespace

std::string token_service::sign(char kind, std::string_view payload) const {
  std::string data;
  data.reserve(payload.size() + 2);
  data.push_back(kind);
  data.push_back('|');
  data.append(payload);
  auto mac = util::hmac_sha256(secret_, data);
  std::string out(1, kind);
  out.push_back('.');
  out += util::base64url_encode(payload);
  out.push_back('.');
  out += util::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(mac.data()), mac_bytes));
  return out;
}

token_error token_service::verify(char kind, std::string_view token, std::string& payload) const {
  if (token.size() < 4 || token.size() > 512 || token[1] != '.') return token_error::malformed;
  if (token[0] != kind) return token_error::wrong_kind;
  auto dot = token.find('.', 2);
  if (dot == std::string_view::npos) return token_error::malformed;
  std::string mac;
  if (!util::base64url_decode(token.substr(2, dot - 2), payload) ||
      !util::base64url_decode(token.substr(dot + 1), mac))
    return token_error::malformed;
  std::string data;
  data.push_back(kind);
  data.push_back('|');
  data.append(payload);
  auto expect = util::hmac_sha256(secret_, data);
  if (!util::constant_time_equal(
          mac, std::string_view(reinterpret_cast<const char*>(expect.data()), mac_bytes)))
    return token_error::bad_signature;
  return token_error::none;
}

std::string token_service::visitor_token(std::string_view site, std::string_view visitor_id) const {
  std::string payload(site);
  payload.push_back('\n');
  payload.append(visitor_id);
  return sign('v', payload);
}

token_error token_service::verify_visitor(std::string_view token, std::string& site,
                                          std::string& visitor_id) const {
  std::string payload;
  if (auto e = verify('v', token, payload); e != token_error::none) return e;
  auto nl = payload.find('\n');
  if (nl == std::string::npos) return token_error::malformed;
  site = payload.substr(0, nl);
  visitor_id = payload.substr(nl + 1);
  return token_error::none;
}

std::string token_service::agent_token(std::string_view agent_id, std::int64_t expires_at_s) const {
  std::string payload(agent_id);
  payload.push_back('\n');
  payload += std::to_string(expires_at_s);
  return sign('a', payload);
}

token_error token_service::verify_agent(std::string_view token, std::int64_t now_s,
                                        std::string& agent_id) const {
  std::string payload;
  if (auto e = verify('a', token, payload); e != token_error::none) return e;
  auto nl = payload.find('\n');
  if (nl == std::string::npos) return token_error::malformed;
  std::int64_t exp = 0;
  const char* first = payload.data() + nl + 1;
  const char* last = payload.data() + payload.size();
  auto [ptr, ec] = std::from_chars(first, last, exp);
  if (ec != std::errc() || ptr != last) return token_error::malformed;
  if (exp <= now_s) return token_error::expired;
  agent_id = payload.substr(0, nl);
  return token_error::none;
}

}  // namespace sb::hub
