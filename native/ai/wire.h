// The OpenAI chat-completions wire format: the request body we send and the pieces we read
// back (streamed chunks, a non-streamed answer, error bodies). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sb::ai {

struct chat_message {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

/** A function the model may call; `parameters_json` is a JSON Schema object. */
struct tool_spec {
  std::string name, description, parameters_json;
};

struct request_options {
  std::string model;
  double temperature = -1;  // < 0: not sent (the upstream's default)
  int max_tokens = 0;       // 0: not sent
  bool include_usage = true;
};

/** The JSON body of POST /chat/completions. */
std::string encode_chat_request(const request_options& o, const std::vector<chat_message>& messages,
                                const std::vector<tool_spec>& tools, bool stream);

struct token_usage {
  std::uint64_t prompt = 0, completion = 0;
  bool estimated = false;  // the upstream sent none; counted from the text
};

/** What one streamed chunk (or a whole non-streamed answer) contributes. */
struct chunk {
  std::string content;    // text to append
  std::string tool_name;  // first fragment of a tool call names the function
  std::string tool_args;  // argument fragment to append
  std::string finish_reason;
  bool has_usage = false;
  token_usage usage;
  std::string error;  // an error object inside the stream: its message
};

/** Decodes one `data:` payload; false when it is not a JSON object. */
bool decode_chunk(std::string_view data, chunk& out);
/** Decodes a non-streamed `chat.completion` body (servers that ignore `stream`). */
bool decode_completion(std::string_view body, chunk& out);
/** The `error.message` of an error body, else the body's start (bytes that are not UTF-8
 *  replaced by U+FFFD); at most 200 bytes, on a UTF-8 boundary. Never includes request headers
 *  (the API key is only ever in a header). */
std::string error_message_of(std::string_view body);

}  // namespace sb::ai
