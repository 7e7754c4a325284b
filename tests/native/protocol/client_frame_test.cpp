// Client frame parsing: the frame as a whole (UTF-8, JSON, t, ref, forward compatibility) and
// hello, with profile truncation on a UTF-8 boundary. Other types: client_commands_test.cpp.
#include "client_frame_test_support.h"

// --- the frame as a whole ---

TEST(client_frame, invalid_utf8_anywhere_is_invalid_utf8_with_no_ref) {
  auto r = parse_client_frame("{\"t\":\"send\",\"id\":\"m1\",\"text\":\"bad \xFF\"}");
  EXPECT_EQ(r.error, parse_error::invalid_utf8);
  EXPECT_EQ(r.ref, "");  // nothing of an invalid frame is trusted
  EXPECT_FALSE(r.message.empty());
  EXPECT_EQ(parse_client_frame("\xC0\xAF").error, parse_error::invalid_utf8);
  EXPECT_EQ(parse_client_frame("{\"t\":\"ping\",\"x\":\"\xED\xA0\x80\"}").error,
            parse_error::invalid_utf8);
}

TEST(client_frame, text_that_is_not_a_json_object_is_malformed) {
  for (const char* bad : {"", "{", "{\"t\":\"send\", nope", "null", "[1,2]", "\"hello\"", "42",
                          "{\"t\":\"ping\"} trailing", "{'t':'ping'}", "1e99999"}) {
    auto r = parse_client_frame(bad);
    EXPECT_EQ(r.error, parse_error::malformed) << bad;
    EXPECT_EQ(r.ref, "") << bad;
  }
}

TEST(client_frame, escaped_lone_surrogate_is_malformed_not_stored_as_bad_utf8) {
  // The raw bytes are ASCII, so only the JSON parser can catch these.
  EXPECT_EQ(parse_client_frame(R"({"t":"send","id":"m","text":"\ud800"})").error,
            parse_error::malformed);
  EXPECT_EQ(parse_client_frame(R"({"t":"send","id":"m","text":"\udc00x"})").error,
            parse_error::malformed);
}

TEST(client_frame, escaped_surrogate_pair_decodes_to_utf8) {
  auto r = parse_client_frame(R"({"t":"send","id":"m","text":"\ud83d\ude00 \u00e9\u0000"})");
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.text, std::string("\xF0\x9F\x98\x80 \xC3\xA9\0", 8));
}

TEST(client_frame, missing_or_non_string_t_is_malformed) {
  expect_error({{"text", "no type"}}, parse_error::malformed, "");
  expect_error({{"t", 7}}, parse_error::malformed, "");
  expect_error({{"t", nullptr}}, parse_error::malformed, "");
  expect_error({{"t", {{"a", 1}}}}, parse_error::malformed, "");
}

TEST(client_frame, malformed_object_still_carries_its_id_as_ref) {
  auto r = parse({{"id", "m1"}, {"text", "x"}});
  EXPECT_EQ(r.error, parse_error::malformed);
  EXPECT_EQ(r.ref, "m1");
}

TEST(client_frame, unknown_t_is_unknown_type_and_quotes_only_a_short_prefix) {
  auto r = parse({{"t", "teleport"}, {"id", "m1"}});
  EXPECT_EQ(r.error, parse_error::unknown_type);
  EXPECT_EQ(r.ref, "m1");
  EXPECT_EQ(r.message, "unknown frame type \"teleport\"");

  std::string long_t = std::string(31, 'x') + euro + std::string(5000, 'y');
  r = parse({{"t", long_t}});
  EXPECT_EQ(r.error, parse_error::unknown_type);
  // 32 bytes would split the euro sign: the quote stops before it.
  EXPECT_EQ(r.message, "unknown frame type \"" + std::string(31, 'x') + "\"");
}

TEST(client_frame, type_names_are_case_sensitive) {
  EXPECT_EQ(parse({{"t", "PING"}}).error, parse_error::unknown_type);
  EXPECT_EQ(parse({{"t", "ping "}}).error, parse_error::unknown_type);
}

TEST(client_frame, deeply_nested_json_is_refused_without_crashing) {
  std::string deep =
      "{\"t\":\"ping\",\"x\":" + std::string(20000, '[') + std::string(20000, ']') + "}";
  EXPECT_EQ(parse_client_frame(deep).error, parse_error::none);
  std::string unclosed = std::string(60000, '[');
  EXPECT_EQ(parse_client_frame(unclosed).error, parse_error::malformed);
}

TEST(client_frame, unknown_extra_fields_are_ignored) {
  auto r = parse({{"t", "send"}, {"id", "m1"}, {"text", "hi"}, {"future", {{"x", 1}}}, {"v", 2}});
  EXPECT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.text, "hi");
}

TEST(client_frame, null_optional_fields_count_as_absent) {
  auto r = parse({{"t", "send"}, {"id", "m1"}, {"conv", nullptr}, {"text", "hi"}});
  EXPECT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.conv, "");
  r = parse({{"t", "hello"},
             {"role", "visitor"},
             {"site", "demo"},
             {"visitorToken", nullptr},
             {"resume", nullptr},
             {"profile", nullptr}});
  EXPECT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_FALSE(r.frame.resume);
}

TEST(client_frame, type_is_set_even_when_a_field_is_invalid) {
  // The transport closes a bad hello with its message, and a non-hello first frame otherwise.
  EXPECT_EQ(parse({{"t", "hello"}, {"role", 5}}).frame.type, client_type::hello);
  EXPECT_EQ(parse({{"t", "send"}}).frame.type, client_type::send);
  EXPECT_NE(parse({{"t", "nope"}}).frame.type, client_type::hello);
  EXPECT_NE(parse_client_frame("{").frame.type, client_type::hello);
}

// --- hello ---

TEST(client_frame, parse_visitor_hello_with_every_field) {
  auto r = parse({{"t", "hello"},
                  {"role", "visitor"},
                  {"site", "demo"},
                  {"visitorToken", "v.tok"},
                  {"resume", {{"conv", "c_1"}, {"after", 17}}},
                  {"profile",
                   {{"name", "Ann"},
                    {"email", "ann@example.com"},
                    {"lang", "zh-CN"},
                    {"page", "https://shop/x"},
                    {"referrer", "https://search/"},
                    {"shoeSize", 42}}}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  const auto& f = r.frame;
  EXPECT_EQ(f.type, client_type::hello);
  EXPECT_EQ(f.role, "visitor");
  EXPECT_EQ(f.site, "demo");
  EXPECT_EQ(f.visitor_token, "v.tok");
  ASSERT_TRUE(f.resume);
  EXPECT_EQ(f.resume->conv, "c_1");
  EXPECT_EQ(f.resume->after, 17u);
  EXPECT_EQ(f.profile.name, "Ann");
  EXPECT_EQ(f.profile.email, "ann@example.com");
  EXPECT_EQ(f.profile.lang, "zh-CN");
  EXPECT_EQ(f.profile.page, "https://shop/x");
  EXPECT_EQ(f.profile.referrer, "https://search/");
}

TEST(client_frame, parse_minimal_visitor_hello) {
  auto r = parse({{"t", "hello"}, {"role", "visitor"}, {"site", "demo"}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.visitor_token, "");
  EXPECT_FALSE(r.frame.resume);
  EXPECT_EQ(r.frame.profile.name, "");
}

TEST(client_frame, hello_role_must_be_visitor_or_agent) {
  expect_invalid({{"t", "hello"}, {"site", "demo"}}, "hello.role is required");
  expect_invalid({{"t", "hello"}, {"role", 1}}, "hello.role must be a string");
  expect_invalid({{"t", "hello"}, {"role", "admin"}},
                 "hello.role must be \"visitor\" or \"agent\"");
  expect_invalid({{"t", "hello"}, {"role", "Visitor"}, {"site", "demo"}}, "hello.role must be");
}

TEST(client_frame, visitor_hello_site_must_be_1_to_64_characters) {
  json h = {{"t", "hello"}, {"role", "visitor"}};
  expect_invalid(h, "hello.site is required");
  h["site"] = 5;
  expect_invalid(h, "hello.site must be a string");
  h["site"] = "";
  expect_invalid(h, "hello.site must be 1..64 characters");
  h["site"] = std::string(65, 's');
  expect_invalid(h, "hello.site must be 1..64 characters");
  h["site"] = std::string(64, 's');
  EXPECT_EQ(parse(h).error, parse_error::none);
}

TEST(client_frame, visitor_token_must_be_a_string_of_at_most_1024_bytes) {
  json h = {{"t", "hello"}, {"role", "visitor"}, {"site", "demo"}, {"visitorToken", 12}};
  expect_invalid(h, "hello.visitorToken must be a string");
  h["visitorToken"] = std::string(1025, 't');
  expect_invalid(h, "hello.visitorToken must be at most 1024 bytes");
  h["visitorToken"] = std::string(1024, 't');
  EXPECT_EQ(parse(h).error, parse_error::none);
  h["visitorToken"] = "";  // "no token yet", as some clients say it
  EXPECT_EQ(parse(h).error, parse_error::none);
}

TEST(client_frame, hello_resume_needs_conv_and_non_negative_after) {
  json h = {{"t", "hello"}, {"role", "visitor"}, {"site", "demo"}};
  h["resume"] = "c_1";
  expect_invalid(h, "hello.resume must be an object");
  h["resume"] = {{"after", 1}};
  expect_invalid(h, "hello.resume.conv is required");
  h["resume"] = {{"conv", 1}, {"after", 1}};
  expect_invalid(h, "hello.resume.conv must be a string");
  h["resume"] = {{"conv", std::string(65, 'c')}, {"after", 1}};
  expect_invalid(h, "hello.resume.conv must be 1..64 characters");
  h["resume"] = {{"conv", "c_1"}};
  expect_invalid(h, "hello.resume.after is required");
  h["resume"] = {{"conv", "c_1"}, {"after", -1}};
  expect_invalid(h, "hello.resume.after must be a non-negative integer");
  h["resume"] = {{"conv", "c_1"}, {"after", 1.5}};
  expect_invalid(h, "hello.resume.after must be a non-negative integer");
  h["resume"] = {{"conv", "c_1"}, {"after", "3"}};
  expect_invalid(h, "hello.resume.after must be a non-negative integer");
  h["resume"] = {{"conv", "c_1"}, {"after", 0}};
  auto r = parse(h);
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.resume->after, 0u);
}

TEST(client_frame, hello_profile_must_be_an_object_of_strings) {
  json h = {{"t", "hello"}, {"role", "visitor"}, {"site", "demo"}};
  h["profile"] = "Ann";
  expect_invalid(h, "hello.profile must be an object");
  for (const char* key : {"name", "email", "lang", "page", "referrer"}) {
    h["profile"] = {{key, 1}};
    expect_invalid(h, std::string("hello.profile.") + key + " must be a string");
  }
}

TEST(client_frame, profile_fields_are_cut_to_512_bytes_on_a_utf8_boundary) {
  json h = {{"t", "hello"}, {"role", "visitor"}, {"site", "demo"}};
  std::string exact(512, 'a');
  std::string split = std::string(510, 'a') + euro;  // 513 bytes: the euro would be split
  std::string long_ascii(5000, 'p');
  h["profile"] = {{"name", exact}, {"email", split}, {"page", long_ascii}, {"lang", "fr"}};
  auto r = parse(h);
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.profile.name, exact);
  EXPECT_EQ(r.frame.profile.email, std::string(510, 'a'));
  EXPECT_EQ(r.frame.profile.page, std::string(512, 'p'));
  EXPECT_EQ(r.frame.profile.lang, "fr");

  std::string euros;
  for (int i = 0; i < 200; i++) euros += euro;  // 600 bytes; 170 whole signs fit in 512
  h["profile"] = {{"referrer", euros}};
  r = parse(h);
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.profile.referrer, euros.substr(0, 510));
}

TEST(client_frame, parse_agent_hello_with_token_and_resume) {
  auto r = parse({{"t", "hello"},
                  {"role", "agent"},
                  {"token", "a.tok"},
                  {"resume", {{"conv", "c_9"}, {"after", 40}}}});
  ASSERT_EQ(r.error, parse_error::none) << r.message;
  EXPECT_EQ(r.frame.role, "agent");
  EXPECT_EQ(r.frame.token, "a.tok");
  EXPECT_EQ(r.frame.resume->conv, "c_9");
}

TEST(client_frame, agent_hello_needs_a_non_empty_token) {
  json h = {{"t", "hello"}, {"role", "agent"}};
  expect_invalid(h, "hello.token is required");
  h["token"] = 42;
  expect_invalid(h, "hello.token must be a string");
  h["token"] = "";
  expect_invalid(h, "hello.token must not be empty");
  h["token"] = std::string(1025, 'a');
  expect_invalid(h, "hello.token must be at most 1024 bytes");
  h["site"] = "demo";  // a visitor's field does not stand in for the token
  h.erase("token");
  expect_invalid(h, "hello.token is required");
}
