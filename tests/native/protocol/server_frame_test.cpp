// Server frame serialisation: exact bytes of the hot frames, every escaping rule, and that
// every frame re-parses (nlohmann) to the values it was built from.
#include "protocol/server_frame.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

using nlohmann::json;
namespace protocol = sb::protocol;

namespace {

std::string escaped(std::string_view s) {
  std::string out;
  protocol::append_json_string(out, s);
  return out;
}

sb::store::message sample_message() {
  sb::store::message m;
  m.conv = "c_1";
  m.seq = 18;
  m.id = 9001;
  m.client_id = "m-8f3a";
  m.sender_kind = "visitor";
  m.sender_id = "v_1";
  m.sender_name = "Ann";
  m.text = "hello";
  m.ts_ms = 1732500000000;
  return m;
}

}  // namespace

// --- append_json_string ---

TEST(server_frame, plain_text_is_quoted_unchanged) {
  EXPECT_EQ(escaped(""), "\"\"");
  EXPECT_EQ(escaped("hello world / 100%"), "\"hello world / 100%\"");
}

TEST(server_frame, quote_and_backslash_are_escaped) {
  EXPECT_EQ(escaped("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(escaped("C:\\dir"), R"("C:\\dir")");
}

TEST(server_frame, control_characters_use_short_escapes_where_json_has_them) {
  EXPECT_EQ(escaped("\n\r\t\b\f"), R"("\n\r\t\b\f")");
}

TEST(server_frame, other_control_characters_are_u00xx_escapes) {
  EXPECT_EQ(escaped(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(escaped("\x01\x1f\x0b\x1b"), R"("\u0001\u001f\u000b\u001b")");
  // DEL is not a control character for JSON.
  EXPECT_EQ(escaped("\x7f"), "\"\x7f\"");
}

TEST(server_frame, every_byte_below_0x20_is_escaped) {
  for (int c = 0; c < 0x20; c++) {
    std::string out = escaped(std::string(1, static_cast<char>(c)));
    EXPECT_EQ(out[1], '\\') << c;
    EXPECT_EQ(json::parse(out).get<std::string>(), std::string(1, static_cast<char>(c))) << c;
  }
}

TEST(server_frame, html_significant_characters_are_escaped) {
  EXPECT_EQ(escaped("</script><b>&amp;"), R"("\u003c/script\u003e\u003cb\u003e\u0026amp;")");
}

TEST(server_frame, line_and_paragraph_separators_are_escaped) {
  EXPECT_EQ(escaped("a\xE2\x80\xA8"
                    "b\xE2\x80\xA9"
                    "c"),
            R"("a\u2028b\u2029c")");
}

TEST(server_frame, other_multibyte_characters_are_copied_as_they_are) {
  // E2 starts U+2028 but also the euro sign and many others.
  std::string s = "\xE2\x82\xAC \xE2\x80\xA7 \xE2\x80\xAA \xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD";
  EXPECT_EQ(escaped(s), "\"" + s + "\"");
  // A cut-off E2 80 at the end is copied, not read past.
  EXPECT_EQ(escaped("x\xE2\x80"), "\"x\xE2\x80\"");
}

TEST(server_frame, a_special_character_is_escaped_at_every_position_past_the_fast_path) {
  // The escaper skips 8 plain bytes at a time: every special at every offset must still be seen.
  const std::pair<std::string, std::string> cases[] = {
      {"\"", "\\\""},          {"\\", "\\\\"},   {"\n", "\\n"},    {"\x1f", "\\u001f"},
      {"<", "\\u003c"},        {">", "\\u003e"}, {"&", "\\u0026"}, {"\xE2\x80\xA9", "\\u2029"},
      {"\xC3\xA9", "\xC3\xA9"}};
  for (const auto& [raw, want] : cases) {
    for (std::size_t len = 0; len <= 24; len++) {
      for (std::size_t at = 0; at <= len; at++) {
        std::string s(len, 'a');
        s.insert(at, raw);
        std::string expect = "\"" + std::string(at, 'a') + want + std::string(len - at, 'a') + "\"";
        ASSERT_EQ(escaped(s), expect) << "len " << len << " at " << at;
      }
    }
  }
}

TEST(server_frame, escaped_strings_round_trip_through_a_json_parser) {
  std::string all;
  for (int c = 1; c < 0x80; c++) all.push_back(static_cast<char>(c));
  all += std::string("\0", 1) + "\xE2\x80\xA8\xE2\x80\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  std::string out = escaped(all);
  EXPECT_EQ(json::parse(out).get<std::string>(), all);
  // Nothing raw that could end a script or a line is left in the frame.
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);
}

// --- msg and ack ---

TEST(server_frame, msg_for_the_sender_has_exact_shape_with_client_id) {
  EXPECT_EQ(
      protocol::msg(sample_message(), true),
      R"({"t":"msg","conv":"c_1","seq":18,"id":"9001","clientId":"m-8f3a",)"
      R"("from":{"kind":"visitor","id":"v_1","name":"Ann"},"text":"hello","ts":1732500000000})");
}

TEST(server_frame, msg_for_other_participants_has_no_client_id) {
  EXPECT_EQ(
      protocol::msg(sample_message(), false),
      R"({"t":"msg","conv":"c_1","seq":18,"id":"9001",)"
      R"("from":{"kind":"visitor","id":"v_1","name":"Ann"},"text":"hello","ts":1732500000000})");
}

TEST(server_frame, msg_of_a_bot_has_no_client_id_even_for_the_sender) {
  auto m = sample_message();
  m.client_id.clear();
  m.sender_kind = "bot";
  EXPECT_FALSE(json::parse(protocol::msg(m, true)).contains("clientId"));
}

TEST(server_frame, msg_escapes_every_string_and_reparses_to_the_same_values) {
  auto m = sample_message();
  m.conv = "c_\"q\"";
  m.client_id = "id\\1";
  m.sender_name = "<Ann & \"Bob\">";
  m.text =
      "line1\nline2\t</script>\xE2\x80\xA8 caf\xC3\xA9 \xF0\x9F\x98\x80" + std::string("\0", 1);
  m.seq = 18446744073709551615ull;
  m.id = 9007199254740993;  // above 2^53: why the id is a string
  m.ts_ms = -1;
  std::string frame = protocol::msg(m, true);
  EXPECT_EQ(frame.find('<'), std::string::npos);
  json j = json::parse(frame);
  EXPECT_EQ(j["t"], "msg");
  EXPECT_EQ(j["conv"], m.conv);
  EXPECT_EQ(j["seq"].get<std::uint64_t>(), m.seq);
  EXPECT_EQ(j["id"], "9007199254740993");
  EXPECT_EQ(j["clientId"], m.client_id);
  EXPECT_EQ(j["from"], (json{{"kind", "visitor"}, {"id", "v_1"}, {"name", m.sender_name}}));
  EXPECT_EQ(j["text"], m.text);
  EXPECT_EQ(j["ts"].get<std::int64_t>(), -1);
}

TEST(server_frame, ack_has_exact_shape) {
  EXPECT_EQ(protocol::ack("m-8f3a", "c_1", 18, 1732500000000),
            R"({"t":"ack","id":"m-8f3a","conv":"c_1","seq":18,"ts":1732500000000})");
  json j = json::parse(protocol::ack("a\"b", "c<", 0, 0));
  EXPECT_EQ(j["id"], "a\"b");
  EXPECT_EQ(j["conv"], "c<");
}

TEST(server_frame, history_lists_messages_without_client_id) {
  auto a = sample_message();
  auto b = sample_message();
  b.seq = 19;
  b.text = "second";
  std::string frame = protocol::history("c_1", {a, b}, true);
  EXPECT_EQ(frame, R"({"t":"history","conv":"c_1","messages":[)" + protocol::msg(a, false) + "," +
                       protocol::msg(b, false) + R"(],"more":true})");
  json j = json::parse(frame);
  EXPECT_EQ(j["messages"][1]["text"], "second");
  EXPECT_FALSE(j["messages"][0].contains("clientId"));
  EXPECT_EQ(protocol::history("c_1", {}, false),
            R"({"t":"history","conv":"c_1","messages":[],"more":false})");
}

// --- welcome ---

TEST(server_frame, welcome_visitor_with_an_open_conversation) {
  EXPECT_EQ(protocol::welcome_visitor("v_1", "v.tok", "c_1", 17, 3),
            R"({"t":"welcome","role":"visitor","visitor":"v_1","visitorToken":"v.tok",)"
            R"("conv":"c_1","lastSeq":17,"agentsOnline":3})");
}

TEST(server_frame, welcome_visitor_without_a_conversation_has_conv_null) {
  json j = json::parse(protocol::welcome_visitor("v_1", "v.tok", "", 0, 0));
  EXPECT_TRUE(j["conv"].is_null());
  EXPECT_EQ(j["lastSeq"], 0);
  EXPECT_EQ(j["agentsOnline"], 0);
}

TEST(server_frame, welcome_agent_lists_its_sites) {
  EXPECT_EQ(
      protocol::welcome_agent("a_1", "Bo \"B\"", {"demo", "shop"}),
      R"({"t":"welcome","role":"agent","agent":"a_1","name":"Bo \"B\"","sites":["demo","shop"]})");
  EXPECT_EQ(json::parse(protocol::welcome_agent("a_1", "Bo", {}))["sites"], json::array());
}

// --- error ---

TEST(server_frame, error_with_ref_and_retry_after) {
  EXPECT_EQ(
      protocol::error("m1", "rate_limited", "slow down", 1200),
      R"({"t":"error","ref":"m1","code":"rate_limited","message":"slow down","retryAfterMs":1200})");
}

TEST(server_frame, error_without_ref_has_ref_null_and_no_retry_after) {
  EXPECT_EQ(protocol::error("", "invalid", "send.text must be a string"),
            R"({"t":"error","ref":null,"code":"invalid","message":"send.text must be a string"})");
}

TEST(server_frame, error_escapes_a_ref_and_message_from_the_client) {
  json j = json::parse(protocol::error("<id>", "invalid", "unknown frame type \"\n\""));
  EXPECT_EQ(j["ref"], "<id>");
  EXPECT_EQ(j["message"], "unknown frame type \"\n\"");
}

// --- conv ---

TEST(server_frame, conv_state_assigned_has_agent_site_visitor_and_last_seq) {
  sb::store::conversation c;
  c.id = "c_1";
  c.site = "demo";
  c.visitor_id = "v_1";
  c.state = "assigned";
  c.agent_id = "a_1";
  c.last_seq = 18;
  EXPECT_EQ(protocol::conv_state(c, protocol::agent_ref{"a_1", "Bo"}),
            R"({"t":"conv","conv":"c_1","state":"assigned","agent":{"id":"a_1","name":"Bo"},)"
            R"("site":"demo","visitor":{"id":"v_1"},"lastSeq":18})");
}

TEST(server_frame, conv_state_queued_has_agent_null_and_team_when_set) {
  sb::store::conversation c;
  c.id = "c_1";
  c.site = "demo";
  c.visitor_id = "v_1";
  c.state = "queued";
  c.team = "billing";
  json j = json::parse(protocol::conv_state(c, std::nullopt));
  EXPECT_TRUE(j["agent"].is_null());
  EXPECT_EQ(j["team"], "billing");
  EXPECT_EQ(j["lastSeq"], 0);
  c.team.clear();
  EXPECT_FALSE(json::parse(protocol::conv_state(c, std::nullopt)).contains("team"));
}

// --- presence and the rest ---

TEST(server_frame, typing_and_read_name_the_sender) {
  EXPECT_EQ(protocol::typing("c_1", "agent", "a_1", true),
            R"({"t":"typing","conv":"c_1","from":{"kind":"agent","id":"a_1"},"on":true})");
  EXPECT_EQ(protocol::typing("c_1", "visitor", "v_1", false),
            R"({"t":"typing","conv":"c_1","from":{"kind":"visitor","id":"v_1"},"on":false})");
  EXPECT_EQ(protocol::read("c_1", "agent", "a_1", 18),
            R"({"t":"read","conv":"c_1","from":{"kind":"agent","id":"a_1"},"seq":18})");
}

TEST(server_frame, queue_lists_waiting_conversations) {
  protocol::queue_entry q{"c_1", "demo", "v_1", "Ann", "where is <my> order", 1732500000000, 2};
  EXPECT_EQ(protocol::queue("demo", {q}),
            R"({"t":"queue","site":"demo","items":[{"conv":"c_1","site":"demo",)"
            R"("visitor":{"id":"v_1","name":"Ann"},"preview":"where is \u003cmy\u003e order",)"
            R"("since":1732500000000,"lastSeq":2}]})");
  EXPECT_EQ(protocol::queue("demo", {}), R"({"t":"queue","site":"demo","items":[]})");
  json j = json::parse(protocol::queue("demo", {q, q}));
  EXPECT_EQ(j["items"].size(), 2u);
}

TEST(server_frame, presence_and_pong) {
  EXPECT_EQ(protocol::presence("demo", 2), R"({"t":"presence","site":"demo","agentsOnline":2})");
  EXPECT_EQ(protocol::pong(), R"({"t":"pong"})");
}
