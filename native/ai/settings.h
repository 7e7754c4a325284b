// The assistant's settings: the server's defaults (config `ai.*`, SWITCHBOARD_AI_*) overlaid by
// one site's own (`site.ai`), parsed once into an immutable object the hub shares by pointer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ai/knowledge.h"
#include "ai/wire.h"

namespace sb::ai {

/** One OpenAI-compatible endpoint and how to call it. */
struct upstream_settings {
  std::string base_url;  // e.g. https://api.openai.com/v1 (".../chat/completions" is appended)
  std::string api_key;   // sent as a Bearer token; never logged
  request_options request;
  int connect_timeout_ms = 5000;
  int first_token_timeout_ms = 20000;  // request sent -> first content
  int idle_timeout_ms = 20000;         // between two pieces of content
  int total_timeout_ms = 120000;       // whole reply, retries included
  int max_retries = 2;                 // before the first token only
  int retry_base_ms = 250;             // backoff: base * 2^attempt, capped, with jitter
  int retry_max_ms = 5000;
  int queue_timeout_ms = 10000;      // longest wait for a slot at the upstream's gate (ai/gate.h)
  int max_concurrency = 512;         // the gate's learned limit never exceeds this
  int initial_concurrency = 32;      // and starts here
  bool adaptive_concurrency = true;  // false: initial_concurrency is a fixed limit
};

struct bot_settings {
  bool enabled = false;
  upstream_settings upstream;
  std::string bot_name = "Assistant";
  std::string system_prompt =
      "You are a helpful customer-service assistant. Answer briefly and politely. If you cannot "
      "help, or the customer wants a person, call transfer_to_human.";
  std::string greeting;  // stored as the bot's first message of each conversation when set
  std::vector<std::string> handoff_words = {"human", "agent",  "real person", "operator",
                                            "人工",  "转人工", "客服"};
  bool tool_handoff = true;   // offer the transfer_to_human function to the model
  int max_bot_turns = 8;      // bot replies before the conversation goes to humans anyway
  int history_turns = 20;     // most messages of the conversation put into the prompt
  int history_tokens = 3000;  // and their estimated token budget
  int knowledge_top = 3;      // FAQ entries put into the prompt
  std::shared_ptr<const knowledge_base> knowledge;
  std::string handoff_message = "I'm connecting you with a member of our team.";
  // On a failure the visitor reads unavailable_message, then handoff or offline message.
  std::string unavailable_message = "Sorry, our assistant is unavailable right now.";
  // Instead of unavailable_message when the upstream is at capacity (the request was shed).
  std::string busy_message = "Our assistant is busy right now.";
  std::string offline_message =
      "Nobody from our team is online right now. Leave your message here and we will answer as "
      "soon as we can.";
};

/**
 * Parses the defaults and one site's overrides (both JSON objects; empty means {}). The site
 * may set `enabled`; otherwise the assistant is on when a base URL and a model are known.
 * Returns null and sets `error` (naming the key, never a value) when a field has a wrong type;
 * otherwise leaves `error` empty, whatever it held before.
 */
std::shared_ptr<const bot_settings> make_bot_settings(std::string_view defaults_json,
                                                      std::string_view site_json,
                                                      std::string& error);

}  // namespace sb::ai
