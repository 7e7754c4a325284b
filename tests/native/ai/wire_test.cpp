// The chat-completions wire format: the request body (read back as JSON), streamed chunks,
// non-streamed answers and error bodies.
#include "ai/wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using nlohmann::json;
using namespace sb::ai;

namespace {

json encode(const request_options& o, const std::vector<chat_message>& msgs,
            const std::vector<tool_spec>& tools = {}, bool stream = true) {
  std::string body = encode_chat_request(o, msgs, tools, stream);
  json j = json::parse(body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << body;
  return j;
}

request_options model(const std::string& name) {
  request_options o;
  o.model = name;
  return o;
}

chunk decode(const std::string& data) {
  chunk c;
  EXPECT_TRUE(decode_chunk(data, c)) << data;
  return c;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; k++)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace

// --- encode_chat_request ---

TEST(wire_encode, body_has_model_messages_in_order_and_stream_true) {
  json j = encode(model("gpt-4o-mini"), {{"system", "be brief"}, {"user", "hi"}});
  EXPECT_EQ(j["model"], "gpt-4o-mini");
  EXPECT_EQ(j["stream"], true);
  ASSERT_EQ(j["messages"].size(), 2u);
  EXPECT_EQ(j["messages"][0], json({{"role", "system"}, {"content", "be brief"}}));
  EXPECT_EQ(j["messages"][1], json({{"role", "user"}, {"content", "hi"}}));
}

TEST(wire_encode, include_usage_sets_stream_options_only_when_streaming) {
  request_options o = model("m");
  EXPECT_EQ(encode(o, {{"user", "x"}})["stream_options"], json({{"include_usage", true}}));
  o.include_usage = false;
  EXPECT_FALSE(encode(o, {{"user", "x"}}).contains("stream_options"));
  o.include_usage = true;
  json plain = encode(o, {{"user", "x"}}, {}, false);
  EXPECT_EQ(plain["stream"], false);
  EXPECT_FALSE(plain.contains("stream_options"));
}

TEST(wire_encode, temperature_and_max_tokens_are_sent_only_when_set) {
  request_options o = model("m");
  json j = encode(o, {{"user", "x"}});
  EXPECT_FALSE(j.contains("temperature"));
  EXPECT_FALSE(j.contains("max_tokens"));
  o.temperature = 0;  // zero is a real setting, not "unset"
  o.max_tokens = 256;
  j = encode(o, {{"user", "x"}});
  ASSERT_TRUE(j.contains("temperature"));
  EXPECT_EQ(j["temperature"].get<double>(), 0.0);
  EXPECT_EQ(j["max_tokens"], 256);
  o.temperature = 0.7;
  EXPECT_DOUBLE_EQ(encode(o, {{"user", "x"}})["temperature"].get<double>(), 0.7);
}

TEST(wire_encode, tools_are_functions_with_their_schema) {
  tool_spec t{"transfer_to_human", "Hand over",
              R"({"type":"object","properties":{"reason":{"type":"string"}}})"};
  json j = encode(model("m"), {{"user", "x"}}, {t});
  ASSERT_EQ(j["tools"].size(), 1u);
  EXPECT_EQ(j["tools"][0]["type"], "function");
  const json& fn = j["tools"][0]["function"];
  EXPECT_EQ(fn["name"], "transfer_to_human");
  EXPECT_EQ(fn["description"], "Hand over");
  EXPECT_EQ(fn["parameters"]["properties"]["reason"]["type"], "string");
}

TEST(wire_encode, no_tools_means_no_tools_key) {
  EXPECT_FALSE(encode(model("m"), {{"user", "x"}}).contains("tools"));
}

TEST(wire_encode, a_tool_with_invalid_schema_json_gets_an_empty_object_schema) {
  json j = encode(model("m"), {{"user", "x"}}, {{"f", "d", "{not json"}});
  EXPECT_EQ(j["tools"][0]["function"]["parameters"], json({{"type", "object"}}));
}

TEST(wire_encode, content_with_quotes_newlines_controls_and_unicode_round_trips) {
  const std::string tricky =
      "say \"hi\"\nback\\slash\ttab \x01 </script> \xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD "
      "\xF0\x9F\x98\x80 \xE2\x80\xA8";
  std::string body = encode_chat_request(model("m"), {{"user", tricky}}, {}, true);
  EXPECT_EQ(body.find('\n'), std::string::npos);  // escaped, one line
  json j = json::parse(body);
  EXPECT_EQ(j["messages"][0]["content"], tricky);
}

TEST(wire_encode, invalid_utf8_in_content_is_replaced_not_an_exception) {
  std::string body;
  ASSERT_NO_THROW(body = encode_chat_request(model("m"), {{"user", "bad \xFF\xFE end"}}, {}, true));
  json j = json::parse(body);
  std::string content = j["messages"][0]["content"];
  EXPECT_EQ(content.rfind("bad ", 0), 0u);
  EXPECT_NE(content.find(" end"), std::string::npos);
  EXPECT_TRUE(valid_utf8(content));
}

// --- decode_chunk ---

TEST(wire_decode_chunk, content_delta) {
  chunk c = decode(
      R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})");
  EXPECT_EQ(c.content, "Hel");
  EXPECT_EQ(c.finish_reason, "");
  EXPECT_FALSE(c.has_usage);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.tool_name, "");
}

TEST(wire_decode_chunk, role_only_first_chunk_has_no_content) {
  chunk c = decode(
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})");
  EXPECT_EQ(c.content, "");
  EXPECT_EQ(c.finish_reason, "");
  c = decode(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})");
  EXPECT_EQ(c.content, "");
}

TEST(wire_decode_chunk, null_content_and_reasoning_fields_are_ignored) {
  chunk c = decode(
      R"({"choices":[{"delta":{"content":null,"reasoning_content":"thinking..."}}],"usage":null})");
  EXPECT_EQ(c.content, "");
  EXPECT_FALSE(c.has_usage);
}

TEST(wire_decode_chunk, finish_reason_in_the_last_choice_chunk) {
  chunk c = decode(R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})");
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.content, "");
  c = decode(R"({"choices":[{"index":0,"delta":{"content":"."},"finish_reason":"length"}]})");
  EXPECT_EQ(c.content, ".");
  EXPECT_EQ(c.finish_reason, "length");
}

TEST(wire_decode_chunk, usage_in_a_last_chunk_with_empty_choices) {
  chunk c = decode(
      R"({"id":"c1","choices":[],"usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49}})");
  EXPECT_TRUE(c.has_usage);
  EXPECT_EQ(c.usage.prompt, 42u);
  EXPECT_EQ(c.usage.completion, 7u);
  EXPECT_FALSE(c.usage.estimated);
  EXPECT_EQ(c.content, "");
  EXPECT_EQ(c.finish_reason, "");
}

TEST(wire_decode_chunk, usage_with_missing_or_wrong_typed_counts_reads_what_it_can) {
  chunk c = decode(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":"x"}})");
  EXPECT_TRUE(c.has_usage);
  EXPECT_EQ(c.usage.prompt, 3u);
  EXPECT_EQ(c.usage.completion, 0u);
  c = decode(R"({"choices":[],"usage":{"prompt_tokens":-5}})");
  EXPECT_EQ(c.usage.prompt, 0u);
}

TEST(wire_decode_chunk, tool_call_fragments_give_the_name_then_argument_pieces) {
  std::vector<std::string> stream = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"transfer_to_human","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"rea"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"son\":\"angry"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"};
  std::string name, args, finish;
  for (const auto& data : stream) {
    chunk c = decode(data);
    EXPECT_EQ(c.content, "");
    if (!c.tool_name.empty()) name = c.tool_name;
    args += c.tool_args;
    if (!c.finish_reason.empty()) finish = c.finish_reason;
  }
  EXPECT_EQ(name, "transfer_to_human");
  EXPECT_EQ(finish, "tool_calls");
  json parsed = json::parse(args, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << args;
  EXPECT_EQ(parsed["reason"], "angry");
}

TEST(wire_decode_chunk, malformed_tool_calls_are_ignored_not_fatal) {
  chunk c = decode(R"({"choices":[{"delta":{"tool_calls":[]}}]})");
  EXPECT_EQ(c.tool_name, "");
  c = decode(R"({"choices":[{"delta":{"tool_calls":[{"index":0}]}}]})");
  EXPECT_EQ(c.tool_name, "");
  c = decode(R"({"choices":[{"delta":{"tool_calls":[{"function":"nope"}]}}]})");
  EXPECT_EQ(c.tool_args, "");
  c = decode(R"({"choices":[{"delta":{"tool_calls":"nope"}}]})");
  EXPECT_EQ(c.tool_name, "");
}

TEST(wire_decode_chunk, an_error_object_in_the_stream_gives_its_message) {
  chunk c = decode(
      R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","code":null}})");
  EXPECT_EQ(c.error, "The server had an error while processing your request.");
  c = decode(R"({"error":"overloaded"})");
  EXPECT_EQ(c.error, "overloaded");
  c = decode(R"({"error":{"code":500}})");
  EXPECT_EQ(c.error, "upstream error");
  // A null error is no error.
  c = decode(R"({"error":null,"choices":[{"delta":{"content":"ok"}}]})");
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.content, "ok");
}

TEST(wire_decode_chunk, invalid_json_or_non_objects_are_rejected) {
  for (const char* bad : {"", "not json", "{\"choices\":", "[1,2]", "\"text\"", "42", "null",
                          "{\"a\":1} trailing", "[DONE]"}) {
    chunk c;
    EXPECT_FALSE(decode_chunk(bad, c)) << bad;
  }
}

TEST(wire_decode_chunk, unexpected_shapes_are_tolerated) {
  chunk c = decode(R"({"choices":"nope"})");
  EXPECT_EQ(c.content, "");
  c = decode(R"({"choices":[{"delta":"nope","finish_reason":7}]})");
  EXPECT_EQ(c.content, "");
  EXPECT_EQ(c.finish_reason, "");
  c = decode(R"({"choices":[{"delta":{"content":5}}]})");
  EXPECT_EQ(c.content, "");
  c = decode("{}");
  EXPECT_EQ(c.content, "");
}

TEST(wire_decode_chunk, only_the_first_choice_is_read) {
  chunk c = decode(R"({"choices":[{"delta":{"content":"A"}},{"delta":{"content":"B"}}]})");
  EXPECT_EQ(c.content, "A");
}

TEST(wire_decode_chunk, escaped_unicode_in_content_decodes_to_utf8) {
  chunk c = decode(R"({"choices":[{"delta":{"content":"\u4f60\u597d \ud83d\ude00\n\"q\""}}]})");
  EXPECT_EQ(c.content, "\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80\n\"q\"");
}

// --- decode_completion ---

TEST(wire_decode_completion, reads_message_finish_reason_and_usage) {
  chunk c;
  ASSERT_TRUE(decode_completion(
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})",
      c));
  EXPECT_EQ(c.content, "Hello there");
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_TRUE(c.has_usage);
  EXPECT_EQ(c.usage.prompt, 9u);
  EXPECT_EQ(c.usage.completion, 2u);
}

TEST(wire_decode_completion, reads_a_tool_call_from_the_message) {
  chunk c;
  ASSERT_TRUE(decode_completion(
      R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"transfer_to_human","arguments":"{\"reason\":\"x\"}"}}]},"finish_reason":"tool_calls"}]})",
      c));
  EXPECT_EQ(c.content, "");
  EXPECT_EQ(c.tool_name, "transfer_to_human");
  EXPECT_EQ(c.tool_args, R"({"reason":"x"})");
  EXPECT_EQ(c.finish_reason, "tool_calls");
}

TEST(wire_decode_completion, ignores_delta_and_decode_chunk_ignores_message) {
  chunk c;
  ASSERT_TRUE(decode_completion(R"({"choices":[{"delta":{"content":"streamed"}}]})", c));
  EXPECT_EQ(c.content, "");
  chunk d;
  ASSERT_TRUE(decode_chunk(R"({"choices":[{"message":{"content":"whole"}}]})", d));
  EXPECT_EQ(d.content, "");
}

TEST(wire_decode_completion, error_body_and_invalid_json) {
  chunk c;
  ASSERT_TRUE(decode_completion(R"({"error":{"message":"model not found"}})", c));
  EXPECT_EQ(c.error, "model not found");
  chunk d;
  EXPECT_FALSE(decode_completion("<html>Bad Gateway</html>", d));
}

// --- error_message_of ---

TEST(wire_error_message, openai_style_error_body_gives_its_message) {
  EXPECT_EQ(
      error_message_of(
          R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}})"),
      "Rate limit reached for gpt-4o");
  EXPECT_EQ(error_message_of(R"({"error":"Unauthorized"})"), "Unauthorized");
}

TEST(wire_error_message, error_without_a_usable_message_is_generic) {
  EXPECT_EQ(error_message_of(R"({"error":{"code":401}})"), "upstream error");
  EXPECT_EQ(error_message_of(R"({"error":{"message":12}})"), "upstream error");
  EXPECT_EQ(error_message_of(R"({"error":null})"), "upstream error");
}

TEST(wire_error_message, non_json_body_gives_its_start) {
  EXPECT_EQ(error_message_of("<html><body>502 Bad Gateway</body></html>"),
            "<html><body>502 Bad Gateway</body></html>");
  EXPECT_EQ(error_message_of(R"({"detail":"Not Found"})"), R"({"detail":"Not Found"})");
  EXPECT_EQ(error_message_of(""), "");
}

TEST(wire_error_message, long_bodies_are_cut_to_200_bytes) {
  std::string body(5000, 'x');
  EXPECT_EQ(error_message_of(body), std::string(200, 'x'));
  std::string msg(1000, 'm');
  EXPECT_EQ(error_message_of(json({{"error", {{"message", msg}}}}).dump()), std::string(200, 'm'));
}

TEST(wire_error_message, a_cut_never_splits_a_utf8_character) {
  // Every alignment of 3- and 4-byte characters against the 200-byte cut.
  for (int pad = 0; pad < 4; pad++) {
    for (const std::string ch : {"\xE4\xBD\xA0", "\xF0\x9F\x98\x80", "\xC3\xA9"}) {
      std::string text(pad, 'a');
      while (text.size() < 400) text += ch;
      for (const std::string& body : {text, json({{"error", {{"message", text}}}}).dump()}) {
        std::string m = error_message_of(body);
        EXPECT_LE(m.size(), 200u);
        EXPECT_GE(m.size(), 196u);
        EXPECT_TRUE(valid_utf8(m)) << "pad " << pad;
        EXPECT_EQ(text.compare(0, m.size(), m), 0);
      }
    }
  }
}

TEST(wire_error_message, a_garbage_body_gives_valid_utf8) {
  // The message goes into logs and admin stats as a JSON string: bytes that are not UTF-8
  // must not come through as they are.
  const char raw[] = "\x1f\x8b\x08\x00\xff\xfe\xC3(\xE4\xBD binary \x80\x81 end";
  std::string garbage(raw, sizeof raw - 1);  // with its NUL
  std::string m = error_message_of(garbage);
  EXPECT_TRUE(valid_utf8(m)) << m;
  EXPECT_NE(m.find("binary"), std::string::npos);
  EXPECT_NE(m.find("end"), std::string::npos);
  EXPECT_LE(m.size(), 200u);
  std::string big(1000, '\xff');
  m = error_message_of(big);
  EXPECT_TRUE(valid_utf8(m));
  EXPECT_LE(m.size(), 200u);
}

TEST(wire_error_message, overlongs_surrogates_and_stray_bytes_become_replacement_characters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(error_message_of("a\xC0\xAFz"), "a" + fffd + fffd + "z");          // overlong '/'
  EXPECT_EQ(error_message_of("\xED\xA0\x80"), fffd + fffd + fffd);             // surrogate
  EXPECT_EQ(error_message_of("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // past U+10FFFF
  EXPECT_EQ(error_message_of("x\x80y"), "x" + fffd + "y");
  EXPECT_EQ(error_message_of("cut \xE4\xBD"), "cut " + fffd + fffd);
  // Valid text is left as it is.
  EXPECT_EQ(error_message_of("ok \xF0\x9F\x98\x80 \xE4\xBD\xA0 \xC3\xA9"),
            "ok \xF0\x9F\x98\x80 \xE4\xBD\xA0 \xC3\xA9");
}
