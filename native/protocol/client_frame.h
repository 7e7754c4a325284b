// Protocol v1 client frames: parsing and validation of one text frame into a typed struct.
// Validation here is structural (types, lengths, UTF-8); authorisation is the hub's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::protocol {

enum class client_type {
  hello,
  send,
  history,
  typing,
  read,
  accept,
  transfer,
  close,
  handoff,
  status,  // extension: agent sets {"t":"status","status":"online"|"away"}
  ping,    // extension: application-level ping {"t":"ping"} answered by {"t":"pong"}
  assist,  // extension: an agent asks the assistant {"t":"assist","conv","kind":"reply"|"summary"}
};

struct resume_point {
  std::string conv;
  std::uint64_t after = 0;
};

struct visitor_profile {
  std::string name, email, lang, page, referrer;  // each optional, truncated to 512 bytes
};

/** One parsed client frame; which fields are meaningful depends on `type`. */
struct client_frame {
  client_type type = client_type::ping;

  // hello
  std::string role;           // "visitor" | "agent"
  std::string site;           // visitor
  std::string visitor_token;  // visitor, optional
  std::string token;          // agent
  std::optional<resume_point> resume;
  visitor_profile profile;

  // send / history / typing / read / accept / transfer / close / handoff
  std::string id;            // send: client id, 1..64 chars
  std::string conv;          // optional for a visitor's send
  std::string text;          // send
  std::uint64_t before = 0;  // history: 0 means "from the newest"
  std::uint32_t limit = 50;  // history: 1..200
  bool on = false;           // typing
  std::uint64_t seq = 0;     // read
  std::string to_agent;      // transfer
  std::string to_team;       // transfer
  std::string status;        // status: "online" | "away"
  std::string kind;          // assist: "reply" | "summary"
};

enum class parse_error {
  none,
  malformed,     // not JSON, not an object, or `t` missing / not a string
  unknown_type,  // `t` is a string we do not know
  invalid,       // a field is missing, of the wrong type or out of range
  invalid_utf8,  // a string field is not valid UTF-8
  too_large,     // `text` longer than the configured limit
};

struct parse_result {
  parse_error error = parse_error::none;
  std::string message;  // human-readable, names the field; never echoes client data at length
  std::string ref;      // the frame's `id` when one could be read (for error.ref)
  client_frame frame;
};

struct parse_limits {
  std::size_t max_text_bytes = 16 * 1024;
};

/** Parses one text frame. Never throws. */
parse_result parse_client_frame(std::string_view text, const parse_limits& limits = {});

}  // namespace sb::protocol
