// Client frame parsing after the handshake: send, history, typing, read, accept/close/handoff,
// transfer, status and ping; every parse_error path, ref extraction, no echo of client text.
#include "client_frame_test_support.h"

// --- send ---

TEST(client_frame, parse_send_with_conv) {
  auto r = parse({{"t", "send"}, {"id", "m1"}, {"conv", "c_1"}, {"text", "hello"}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.type, client_type::send);
  EXPECT_EQ(r.frame.id, "m1");
  EXPECT_EQ(r.frame.conv, "c_1");
  EXPECT_EQ(r.frame.text, "hello");
  EXPECT_EQ(r.ref, "m1");
}

TEST(client_frame, parse_send_without_conv_leaves_conv_empty) {
  auto r = parse({{"t", "send"}, {"id", "m1"}, {"text", "hello"}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.conv, "");
}

TEST(client_frame, parse_send_id_must_be_1_to_64_characters) {
  expect_invalid({{"t", "send"}, {"text", "x"}}, "send.id is required");
  expect_invalid({{"t", "send"}, {"id", 5}, {"text", "x"}}, "send.id must be a string");
  expect_invalid({{"t", "send"}, {"id", {{"no", 1}}}, {"text", "x"}}, "send.id must be a string");
  expect_invalid({{"t", "send"}, {"id", ""}, {"text", "x"}}, "send.id must be 1..64 characters");
  expect_invalid({{"t", "send"}, {"id", std::string(65, 'i')}, {"text", "x"}},
                 "send.id must be 1..64 characters");
  EXPECT_EQ(parse({{"t", "send"}, {"id", std::string(64, 'i')}, {"text", "x"}}).error,
            parse_error::none);
}

TEST(client_frame, parse_send_id_counts_characters_not_bytes) {
  std::string id;
  for (int i = 0; i < 64; i++) id += euro;  // 64 characters, 192 bytes
  auto r = parse({{"t", "send"}, {"id", id}, {"text", "x"}});
  EXPECT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.ref, id);
  r = parse({{"t", "send"}, {"id", id + euro}, {"text", "x"}});
  EXPECT_EQ(r.error, parse_error::invalid);
  EXPECT_EQ(r.ref, "");
}

TEST(client_frame, parse_send_conv_when_present_must_be_1_to_64_characters) {
  expect_invalid({{"t", "send"}, {"id", "m"}, {"conv", 17}, {"text", "x"}},
                 "send.conv must be a string");
  expect_invalid({{"t", "send"}, {"id", "m"}, {"conv", ""}, {"text", "x"}},
                 "send.conv must be 1..64 characters");
  expect_invalid({{"t", "send"}, {"id", "m"}, {"conv", std::string(65, 'c')}, {"text", "x"}},
                 "send.conv must be 1..64 characters");
}

TEST(client_frame, parse_send_text_must_be_a_non_empty_string) {
  expect_invalid({{"t", "send"}, {"id", "m"}}, "send.text is required");
  expect_invalid({{"t", "send"}, {"id", "m"}, {"text", 42}}, "send.text must be a string");
  expect_invalid({{"t", "send"}, {"id", "m"}, {"text", json::array({"a"})}},
                 "send.text must be a string");
  expect_invalid({{"t", "send"}, {"id", "m"}, {"text", ""}}, "send.text must not be empty");
}

TEST(client_frame, parse_send_with_text_over_limit_is_too_large) {
  parse_limits limits;
  limits.max_text_bytes = 100;
  auto r = parse({{"t", "send"}, {"id", "big"}, {"text", std::string(101, 'x')}}, limits);
  EXPECT_EQ(r.error, parse_error::too_large);
  EXPECT_EQ(r.ref, "big");
  EXPECT_EQ(r.message, "send.text is longer than 100 bytes");
  r = parse({{"t", "send"}, {"id", "ok"}, {"text", std::string(100, 'x')}}, limits);
  EXPECT_EQ(r.error, parse_error::none);
}

TEST(client_frame, parse_send_text_limit_counts_utf8_bytes) {
  parse_limits limits;
  limits.max_text_bytes = 100;
  std::string euros;
  for (int i = 0; i < 34; i++) euros += euro;  // 34 characters, 102 bytes
  EXPECT_EQ(parse({{"t", "send"}, {"id", "m"}, {"text", euros}}, limits).error,
            parse_error::too_large);
}

TEST(client_frame, parse_send_default_text_limit_is_16_kib) {
  EXPECT_EQ(parse({{"t", "send"}, {"id", "m"}, {"text", std::string(16384, 'x')}}).error,
            parse_error::none);
  EXPECT_EQ(parse({{"t", "send"}, {"id", "m"}, {"text", std::string(16385, 'x')}}).error,
            parse_error::too_large);
}

TEST(client_frame, ref_is_the_send_id_even_when_another_field_is_invalid) {
  EXPECT_EQ(parse({{"t", "send"}, {"id", "wt1"}, {"text", 42}}).ref, "wt1");
  EXPECT_EQ(parse({{"t", "send"}, {"id", "wt2"}, {"conv", 17}, {"text", "x"}}).ref, "wt2");
  EXPECT_EQ(parse({{"t", "send"}, {"id", "wt3"}}).ref, "wt3");
  EXPECT_EQ(parse({{"t", "typing"}, {"id", "x9"}}).ref, "x9");  // any frame's id
}

TEST(client_frame, ref_is_empty_when_the_id_is_not_a_short_string) {
  EXPECT_EQ(parse({{"t", "send"}, {"id", 5}, {"text", "x"}}).ref, "");
  EXPECT_EQ(parse({{"t", "send"}, {"id", std::string(65, 'i')}, {"text", "x"}}).ref, "");
  EXPECT_EQ(parse({{"t", "send"}, {"text", "x"}}).ref, "");
}

TEST(client_frame, messages_never_echo_client_text) {
  std::string secret = "my card is 4111 1111 1111 1111 " + std::string(200, 'z');
  for (const json& f :
       {json{{"t", "send"}, {"id", "m"}, {"text", secret + std::string(20000, 'x')}},
        json{{"t", "send"}, {"id", "m"}, {"conv", secret}, {"text", "x"}},
        json{{"t", "hello"}, {"role", secret}}, json{{"t", "status"}, {"status", secret}}}) {
    auto r = parse(f);
    EXPECT_NE(r.error, parse_error::none);
    EXPECT_EQ(r.message.find("4111"), std::string::npos) << r.message;
    EXPECT_LT(r.message.size(), 100u) << r.message;  // also fits a WebSocket close reason
  }
}

// --- history ---

TEST(client_frame, parse_history_defaults_to_the_newest_50) {
  auto r = parse({{"t", "history"}, {"conv", "c_1"}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.type, client_type::history);
  EXPECT_EQ(r.frame.conv, "c_1");
  EXPECT_EQ(r.frame.before, 0u);
  EXPECT_EQ(r.frame.limit, 50u);
}

TEST(client_frame, parse_history_with_before_and_limit) {
  auto r = parse({{"t", "history"}, {"conv", "c_1"}, {"before", 18}, {"limit", 200}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.before, 18u);
  EXPECT_EQ(r.frame.limit, 200u);
  EXPECT_EQ(parse({{"t", "history"}, {"conv", "c_1"}, {"limit", 1}}).frame.limit, 1u);
}

TEST(client_frame, parse_history_rejects_bad_conv_before_and_limit) {
  expect_invalid({{"t", "history"}}, "history.conv is required");
  expect_invalid({{"t", "history"}, {"conv", json::array({"a"})}}, "history.conv must be a string");
  expect_invalid({{"t", "history"}, {"conv", "c"}, {"before", -1}},
                 "history.before must be a non-negative integer");
  expect_invalid({{"t", "history"}, {"conv", "c"}, {"before", "5"}},
                 "history.before must be a non-negative integer");
  for (const json& bad : {json(0), json(201), json(-1), json("5"), json(2.5), json(1u << 31)}) {
    expect_invalid({{"t", "history"}, {"conv", "c"}, {"limit", bad}},
                   "history.limit must be an integer from 1 to 200");
  }
}

// --- typing, read ---

TEST(client_frame, parse_typing_on_and_off) {
  auto r = parse({{"t", "typing"}, {"conv", "c_1"}, {"on", true}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.type, client_type::typing);
  EXPECT_TRUE(r.frame.on);
  EXPECT_FALSE(parse({{"t", "typing"}, {"conv", "c_1"}, {"on", false}}).frame.on);
}

TEST(client_frame, parse_typing_needs_conv_and_boolean_on) {
  expect_invalid({{"t", "typing"}, {"on", true}}, "typing.conv is required");
  expect_invalid({{"t", "typing"}, {"conv", "c"}}, "typing.on is required");
  expect_invalid({{"t", "typing"}, {"conv", "c"}, {"on", "yes"}}, "typing.on must be a boolean");
  expect_invalid({{"t", "typing"}, {"conv", "c"}, {"on", 1}}, "typing.on must be a boolean");
}

TEST(client_frame, parse_read_with_seq) {
  auto r = parse({{"t", "read"}, {"conv", "c_1"}, {"seq", 18}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.type, client_type::read);
  EXPECT_EQ(r.frame.seq, 18u);
  EXPECT_EQ(parse({{"t", "read"}, {"conv", "c_1"}, {"seq", 0}}).error, parse_error::none);
}

TEST(client_frame, parse_read_needs_conv_and_non_negative_seq) {
  expect_invalid({{"t", "read"}, {"seq", 1}}, "read.conv is required");
  expect_invalid({{"t", "read"}, {"conv", "c"}}, "read.seq is required");
  expect_invalid({{"t", "read"}, {"conv", "c"}, {"seq", "1"}},
                 "read.seq must be a non-negative integer");
  expect_invalid({{"t", "read"}, {"conv", "c"}, {"seq", -3}},
                 "read.seq must be a non-negative integer");
  expect_invalid({{"t", "read"}, {"conv", "c"}, {"seq", 1e30}},
                 "read.seq must be a non-negative integer");
}

// --- accept, close, handoff ---

TEST(client_frame, parse_conversation_actions_need_a_conv) {
  for (auto [name, type] :
       {std::pair{"accept", client_type::accept}, std::pair{"close", client_type::close},
        std::pair{"handoff", client_type::handoff}}) {
    auto r = parse({{"t", name}, {"conv", "c_1"}});
    ASSERT_EQ(r.error, parse_error::none) << name << ": " << r.message;
    EXPECT_EQ(r.frame.type, type);
    EXPECT_EQ(r.frame.conv, "c_1");
    std::string t = name;
    expect_invalid({{"t", name}}, t + ".conv is required");
    expect_invalid({{"t", name}, {"conv", 5}}, t + ".conv must be a string");
    expect_invalid({{"t", name}, {"conv", ""}}, t + ".conv must be 1..64 characters");
  }
}

// --- transfer ---

TEST(client_frame, parse_transfer_to_an_agent_or_a_team) {
  auto r = parse({{"t", "transfer"}, {"conv", "c_1"}, {"to", {{"agent", "a_2"}}}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.type, client_type::transfer);
  EXPECT_EQ(r.frame.to_agent, "a_2");
  EXPECT_EQ(r.frame.to_team, "");
  r = parse({{"t", "transfer"}, {"conv", "c_1"}, {"to", {{"team", "billing"}}}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.to_agent, "");
  EXPECT_EQ(r.frame.to_team, "billing");
}

TEST(client_frame, parse_transfer_rejects_a_bad_target) {
  expect_invalid({{"t", "transfer"}, {"to", {{"agent", "a"}}}}, "transfer.conv is required");
  expect_invalid({{"t", "transfer"}, {"conv", "c"}}, "transfer.to is required");
  expect_invalid({{"t", "transfer"}, {"conv", "c"}, {"to", "a_2"}},
                 "transfer.to must be an object");
  expect_invalid({{"t", "transfer"}, {"conv", "c"}, {"to", json::object()}},
                 "transfer.to must name exactly one of agent or team");
  expect_invalid({{"t", "transfer"}, {"conv", "c"}, {"to", {{"agent", "a"}, {"team", "t"}}}},
                 "transfer.to must name exactly one of agent or team");
  expect_invalid({{"t", "transfer"}, {"conv", "c"}, {"to", {{"agent", 2}}}},
                 "transfer.to.agent must be a string");
  expect_invalid({{"t", "transfer"}, {"conv", "c"}, {"to", {{"team", ""}}}},
                 "transfer.to.team must be 1..64 characters");
}

// --- status, ping ---

TEST(client_frame, parse_status_online_or_away) {
  for (const char* s : {"online", "away"}) {
    auto r = parse({{"t", "status"}, {"status", s}});
    ASSERT_EQ(r.error, parse_error::none) << r.message;
    EXPECT_EQ(r.frame.type, client_type::status);
    EXPECT_EQ(r.frame.status, s);
  }
}

TEST(client_frame, parse_status_rejects_other_values) {
  expect_invalid({{"t", "status"}}, "status.status is required");
  expect_invalid({{"t", "status"}, {"status", true}}, "status.status must be a string");
  expect_invalid({{"t", "status"}, {"status", "busy"}},
                 "status.status must be \"online\" or \"away\"");
}

TEST(client_frame, parse_ping_ignores_other_fields) {
  auto r = parse_client_frame(R"({"t":"ping"})");
  ASSERT_EQ(r.error, parse_error::none);
  EXPECT_EQ(r.frame.type, client_type::ping);
  EXPECT_EQ(parse({{"t", "ping"}, {"n", 3}}).error, parse_error::none);
}

TEST(client_frame, whitespace_and_key_order_do_not_matter) {
  auto r = parse_client_frame(" {\n \"text\" : \"hi\" ,\t\"id\":\"m\", \"t\" : \"send\" } ");
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.text, "hi");
}
