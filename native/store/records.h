// The records Switchboard persists: plain structs shared by the store, the protocol codec and
// the hub. No behaviour here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sb::store {

/** One stored chat message. `seq` is per conversation, from 1, with no gap. */
struct message {
  std::string conv;
  std::uint64_t seq = 0;
  std::int64_t id = 0;      // server message id, unique across the store (row id)
  std::string client_id;    // sender's idempotency key; empty for bot/system messages
  std::string sender_kind;  // "visitor" | "agent" | "bot" | "system"
  std::string sender_id;
  std::string sender_name;
  std::string text;
  std::int64_t ts_ms = 0;  // server time the message was accepted, ms since epoch
};

/** A conversation between one visitor and (at most one at a time) agent. */
struct conversation {
  std::string id;
  std::string site;
  std::string visitor_id;
  std::string state;           // "bot" | "queued" | "assigned" | "closed"
  std::string agent_id;        // empty when unassigned
  std::string team;            // empty unless transferred to a team
  std::uint64_t last_seq = 0;  // maintained by the store on append
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct visitor {
  std::string id;
  std::string site;
  std::string name;
  std::string email;
  std::string lang;
  std::string page;
  std::string referrer;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
};

struct agent {
  std::string id;
  std::string email;  // unique, lower-cased
  std::string name;
  std::string password_hash;  // "scrypt$N$r$p$salt_b64$hash_b64", written by the JS layer
  std::string role;           // "admin" | "agent"
  int max_chats = 5;
  std::vector<std::string> sites;  // site keys this agent serves
  std::vector<std::string> teams;
  std::int64_t created_ms = 0;
};

struct site {
  std::string key;  // public site key, e.g. "demo"
  std::string name;
  bool enabled = true;
  std::vector<std::string> allowed_origins;  // "*" accepts any Origin
  std::string settings_json = "{}";          // widget settings, opaque to the core
  std::string ai_json = "{}";           // the assistant's settings for this site (ai/settings.h)
  std::string rate_limits_json = "{}";  // rate limits over the defaults (hub/admission.h)
  std::int64_t created_ms = 0;
};

/** Tokens one AI call used (a bot reply or an agent-assist request). */
struct ai_usage_record {
  std::string conv, site;
  std::string kind;  // "bot" | "assist"
  std::uint64_t prompt_tokens = 0, completion_tokens = 0;
  bool estimated = false;  // the upstream reported none; counted from the text
  std::int64_t ts_ms = 0;
};

/** Sums of ai_usage_record rows. */
struct ai_usage_totals {
  std::uint64_t requests = 0, prompt_tokens = 0, completion_tokens = 0;
};

struct read_mark {
  std::string conv;
  std::string reader_id;
  std::uint64_t seq = 0;
};

}  // namespace sb::store
