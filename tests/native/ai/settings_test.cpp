// Bot settings: server defaults overlaid by a site's own, the rules that turn the assistant on,
// type errors (naming the key, never the value), base URL clean-up and the knowledge base.
#include "ai/settings.h"

#include <gtest/gtest.h>

#include <string>

using namespace sb::ai;

namespace {

std::shared_ptr<const bot_settings> make(const std::string& defaults, const std::string& site,
                                         std::string* error_out = nullptr) {
  std::string error;
  auto s = make_bot_settings(defaults, site, error);
  if (error_out) *error_out = error;
  if (s) {
    EXPECT_EQ(error, "");
  }
  return s;
}

/** The error of a settings pair that must fail. */
std::string error_of(const std::string& defaults, const std::string& site) {
  std::string error;
  auto s = make_bot_settings(defaults, site, error);
  EXPECT_EQ(s, nullptr) << defaults << " / " << site;
  EXPECT_FALSE(error.empty());
  return error;
}

const char* upstream = R"({"baseUrl":"https://api.example.com/v1","model":"gpt-4o-mini"})";

}  // namespace

TEST(bot_settings, empty_json_gives_the_built_in_defaults_and_is_off) {
  auto s = make("", "");
  ASSERT_TRUE(s);
  const bot_settings d;
  EXPECT_FALSE(s->enabled);
  EXPECT_EQ(s->bot_name, d.bot_name);
  EXPECT_EQ(s->system_prompt, d.system_prompt);
  EXPECT_EQ(s->handoff_words, d.handoff_words);
  EXPECT_EQ(s->max_bot_turns, d.max_bot_turns);
  EXPECT_EQ(s->history_turns, d.history_turns);
  EXPECT_EQ(s->upstream.max_retries, d.upstream.max_retries);
  EXPECT_EQ(s->upstream.first_token_timeout_ms, d.upstream.first_token_timeout_ms);
  EXPECT_TRUE(s->upstream.request.include_usage);
  EXPECT_LT(s->upstream.request.temperature, 0);
  ASSERT_TRUE(s->knowledge);
  EXPECT_EQ(s->knowledge->size(), 0u);
  EXPECT_TRUE(make("{}", "{}"));
}

TEST(bot_settings, every_key_is_read) {
  auto s = make(
      R"({"baseUrl":"http://u/v1","apiKey":"sk-1","model":"m","temperature":0.5,"maxTokens":300,
          "includeUsage":false,"connectTimeoutMs":11,"firstTokenTimeoutMs":12,"idleTimeoutMs":13,
          "totalTimeoutMs":14,"maxRetries":0,"retryBaseMs":15,"retryMaxMs":16,"botName":"Ava",
          "systemPrompt":"sp","greeting":"hello","handoffWords":["boss"],"toolHandoff":false,
          "maxBotTurns":2,"historyTurns":3,"historyTokens":400,"knowledgeTop":5,
          "handoffMessage":"hm","unavailableMessage":"um","offlineMessage":"om"})",
      "");
  ASSERT_TRUE(s);
  const auto& u = s->upstream;
  EXPECT_EQ(u.base_url, "http://u/v1");
  EXPECT_EQ(u.api_key, "sk-1");
  EXPECT_EQ(u.request.model, "m");
  EXPECT_DOUBLE_EQ(u.request.temperature, 0.5);
  EXPECT_EQ(u.request.max_tokens, 300);
  EXPECT_FALSE(u.request.include_usage);
  EXPECT_EQ(u.connect_timeout_ms, 11);
  EXPECT_EQ(u.first_token_timeout_ms, 12);
  EXPECT_EQ(u.idle_timeout_ms, 13);
  EXPECT_EQ(u.total_timeout_ms, 14);
  EXPECT_EQ(u.max_retries, 0);
  EXPECT_EQ(u.retry_base_ms, 15);
  EXPECT_EQ(u.retry_max_ms, 16);
  EXPECT_EQ(s->bot_name, "Ava");
  EXPECT_EQ(s->system_prompt, "sp");
  EXPECT_EQ(s->greeting, "hello");
  EXPECT_EQ(s->handoff_words, std::vector<std::string>{"boss"});
  EXPECT_FALSE(s->tool_handoff);
  EXPECT_EQ(s->max_bot_turns, 2);
  EXPECT_EQ(s->history_turns, 3);
  EXPECT_EQ(s->history_tokens, 400);
  EXPECT_EQ(s->knowledge_top, 5);
  EXPECT_EQ(s->handoff_message, "hm");
  EXPECT_EQ(s->unavailable_message, "um");
  EXPECT_EQ(s->offline_message, "om");
  EXPECT_TRUE(s->enabled);
}

TEST(bot_settings, site_values_override_defaults_and_the_rest_is_kept) {
  auto s = make(R"({"baseUrl":"https://a/v1","model":"small","botName":"Default","maxBotTurns":4})",
                R"({"model":"large","botName":"Site bot"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->upstream.base_url, "https://a/v1");
  EXPECT_EQ(s->upstream.request.model, "large");
  EXPECT_EQ(s->bot_name, "Site bot");
  EXPECT_EQ(s->max_bot_turns, 4);
}

TEST(bot_settings, null_in_the_site_keeps_the_default) {
  auto s = make(R"({"baseUrl":"https://a/v1","model":"m","botName":"D"})",
                R"({"botName":null,"model":null,"enabled":null})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->bot_name, "D");
  EXPECT_EQ(s->upstream.request.model, "m");
  EXPECT_TRUE(s->enabled);
}

// --- enabled ---

TEST(bot_settings, on_when_base_url_and_model_are_known) {
  auto s = make(upstream, "");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->enabled);
  // Split between defaults and site.
  s = make(R"({"baseUrl":"https://a/v1"})", R"({"model":"m"})");
  EXPECT_TRUE(s->enabled);
}

TEST(bot_settings, off_without_a_base_url_or_a_model) {
  EXPECT_FALSE(make(R"({"baseUrl":"https://a/v1"})", "")->enabled);
  EXPECT_FALSE(make(R"({"model":"m"})", "")->enabled);
  EXPECT_FALSE(make(R"({"baseUrl":"","model":"m"})", "")->enabled);
}

TEST(bot_settings, site_can_turn_a_configured_assistant_off) {
  auto s = make(upstream, R"({"enabled":false})");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->enabled);
}

TEST(bot_settings, defaults_can_turn_it_off_for_every_site) {
  std::string d = R"({"baseUrl":"https://a/v1","model":"m","enabled":false})";
  EXPECT_FALSE(make(d, "")->enabled);
  EXPECT_FALSE(make(d, R"({"botName":"x"})")->enabled);
}

TEST(bot_settings, site_enabled_true_overrides_a_default_enabled_false) {
  auto s = make(R"({"baseUrl":"https://a/v1","model":"m","enabled":false})", R"({"enabled":true})");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->enabled);
}

TEST(bot_settings, site_enabled_true_without_base_url_or_model_stays_off) {
  EXPECT_FALSE(make("", R"({"enabled":true})")->enabled);
  EXPECT_FALSE(make("", R"({"enabled":true,"model":"m"})")->enabled);
  EXPECT_FALSE(make("", R"({"enabled":true,"baseUrl":"https://a/v1"})")->enabled);
  EXPECT_FALSE(make(R"({"enabled":true})", "")->enabled);
}

TEST(bot_settings, a_base_url_of_only_slashes_does_not_count_as_configured) {
  auto s = make(R"({"baseUrl":"///","model":"m"})", "");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->upstream.base_url, "");
  EXPECT_FALSE(s->enabled);
}

// --- wrong types ---

TEST(bot_settings, wrong_types_fail_with_the_key_named) {
  struct bad {
    const char* json;
    const char* key;
  };
  for (const bad& b : {bad{R"({"baseUrl":5})", "baseUrl"},
                       bad{R"({"model":["m"]})", "model"},
                       bad{R"({"temperature":"hot"})", "temperature"},
                       bad{R"({"temperature":3})", "temperature"},
                       bad{R"({"temperature":-0.1})", "temperature"},
                       bad{R"({"maxTokens":1.5})", "maxTokens"},
                       bad{R"({"maxTokens":-1})", "maxTokens"},
                       bad{R"({"firstTokenTimeoutMs":0})", "firstTokenTimeoutMs"},
                       bad{R"({"totalTimeoutMs":"10"})", "totalTimeoutMs"},
                       bad{R"({"maxRetries":true})", "maxRetries"},
                       bad{R"({"historyTokens":99})", "historyTokens"},
                       bad{R"({"historyTurns":99999999999})", "historyTurns"},
                       bad{R"({"includeUsage":1})", "includeUsage"},
                       bad{R"({"toolHandoff":"yes"})", "toolHandoff"},
                       bad{R"({"enabled":"true"})", "enabled"},
                       bad{R"({"handoffWords":"human"})", "handoffWords"},
                       bad{R"({"handoffWords":["human",3]})", "handoffWords"},
                       bad{R"({"knowledge":{"question":"q"}})", "knowledge"},
                       bad{R"({"knowledge":[{"question":"q"}]})", "knowledge"},
                       bad{R"({"knowledge":[{"question":"q","answer":7}]})", "knowledge"},
                       bad{R"({"knowledge":["q"]})", "knowledge"}}) {
    std::string e = error_of(b.json, "");
    EXPECT_NE(e.find(std::string("ai.") + b.key), std::string::npos) << e;
    e = error_of("", b.json);
    EXPECT_NE(e.find(std::string("site.ai.") + b.key), std::string::npos) << e;
  }
}

TEST(bot_settings, the_error_never_contains_the_value) {
  std::string e = error_of(R"({"apiKey":987654321})", "");
  EXPECT_NE(e.find("apiKey"), std::string::npos) << e;
  EXPECT_EQ(e.find("987654321"), std::string::npos) << e;
  e = error_of("", R"({"apiKey":["sk-live-abcdef"]})");
  EXPECT_NE(e.find("site.ai.apiKey"), std::string::npos) << e;
  EXPECT_EQ(e.find("sk-live"), std::string::npos) << e;
  e = error_of("", R"({"apiKey":{"secret":"sk-live-abcdef"}})");
  EXPECT_EQ(e.find("sk-live"), std::string::npos) << e;
}

TEST(bot_settings, the_first_error_is_the_one_reported) {
  std::string e = error_of(R"({"model":1})", R"({"botName":2})");
  EXPECT_NE(e.find("ai.model"), std::string::npos) << e;
  EXPECT_EQ(e.find("botName"), std::string::npos) << e;
}

TEST(bot_settings, invalid_json_or_a_non_object_fails_naming_the_side) {
  EXPECT_EQ(error_of("{not json", ""), "ai must be a JSON object");
  EXPECT_EQ(error_of("", "{not json"), "site.ai must be a JSON object");
  EXPECT_EQ(error_of("[1]", ""), "ai must be a JSON object");
  EXPECT_EQ(error_of("", "\"text\""), "site.ai must be a JSON object");
  EXPECT_EQ(error_of("", "null"), "site.ai must be a JSON object");
}

TEST(bot_settings, an_error_left_in_the_callers_string_does_not_fail_a_valid_call) {
  // hub::parse_bot_settings falls back to {"enabled":false} with the string that holds the
  // first call's error; the fallback must still give settings.
  std::string error;
  ASSERT_EQ(make_bot_settings("", R"({"model":1})", error), nullptr);
  ASSERT_FALSE(error.empty());
  auto s = make_bot_settings("", R"({"enabled":false})", error);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->enabled);
  EXPECT_EQ(error, "");
}

// --- values ---

TEST(bot_settings, trailing_slashes_are_stripped_from_the_base_url) {
  EXPECT_EQ(make(R"({"baseUrl":"https://a/v1/"})", "")->upstream.base_url, "https://a/v1");
  EXPECT_EQ(make(R"({"baseUrl":"https://a/v1///"})", "")->upstream.base_url, "https://a/v1");
  EXPECT_EQ(make("", R"({"baseUrl":"http://127.0.0.1:8080/"})")->upstream.base_url,
            "http://127.0.0.1:8080");
  EXPECT_EQ(make(R"({"baseUrl":"https://a/v1"})", "")->upstream.base_url, "https://a/v1");
}

TEST(bot_settings, knowledge_is_parsed_into_a_searchable_base) {
  auto s = make(upstream, R"({"knowledge":[
      {"question":"How do I reset my password?","answer":"Use the link."},
      {"question":"Opening hours?","answer":"9 to 5."}]})");
  ASSERT_TRUE(s && s->knowledge);
  ASSERT_EQ(s->knowledge->size(), 2u);
  EXPECT_EQ(s->knowledge->entries()[1].answer, "9 to 5.");
  auto hits = s->knowledge->search("password", 3);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]->answer, "Use the link.");
}

TEST(bot_settings, site_knowledge_replaces_the_defaults_knowledge) {
  auto s = make(R"({"knowledge":[{"question":"a","answer":"1"},{"question":"b","answer":"2"}]})",
                R"({"knowledge":[{"question":"c","answer":"3"}]})");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->knowledge->size(), 1u);
  EXPECT_EQ(s->knowledge->entries()[0].question, "c");
  // An empty list in the site empties it; no key keeps the defaults'.
  EXPECT_EQ(make(R"({"knowledge":[{"question":"a","answer":"1"}]})", R"({"knowledge":[]})")
                ->knowledge->size(),
            0u);
  EXPECT_EQ(make(R"({"knowledge":[{"question":"a","answer":"1"}]})", "{}")->knowledge->size(), 1u);
}

TEST(bot_settings, handoff_words_drop_empty_strings_and_may_be_emptied) {
  EXPECT_EQ(make(R"({"handoffWords":["", "boss", ""]})", "")->handoff_words,
            std::vector<std::string>{"boss"});
  EXPECT_TRUE(make("", R"({"handoffWords":[]})")->handoff_words.empty());
}

TEST(bot_settings, integer_bounds_are_inclusive) {
  auto s = make(R"({"maxRetries":0,"knowledgeTop":0,"historyTokens":100,"maxTokens":0})", "");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->upstream.max_retries, 0);
  EXPECT_EQ(s->knowledge_top, 0);
  EXPECT_EQ(s->history_tokens, 100);
  EXPECT_DOUBLE_EQ(make(R"({"temperature":2})", "")->upstream.request.temperature, 2.0);
  EXPECT_DOUBLE_EQ(make(R"({"temperature":0})", "")->upstream.request.temperature, 0.0);
}
