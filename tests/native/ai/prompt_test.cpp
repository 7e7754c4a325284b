// Prompts: token estimates, the bot's prompt (system prompt, knowledge, history within the turn
// and token budgets), the assist prompts, the handoff-word matcher and the transfer tool.
#include "ai/prompt.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace sb::ai;
using speaker = turn::speaker;

namespace {

bot_settings settings_with(std::vector<faq_entry> faq = {}) {
  bot_settings s;
  s.system_prompt = "You are Ava.";
  s.knowledge = std::make_shared<knowledge_base>(std::move(faq));
  return s;
}

std::vector<turn> numbered_turns(int n, std::size_t text_bytes = 8) {
  std::vector<turn> h;
  for (int i = 0; i < n; i++) {
    std::string text = "m" + std::to_string(i) + " ";
    text.resize(std::max(text.size(), text_bytes), 'x');
    h.push_back({i % 2 == 0 ? speaker::visitor : speaker::bot, text});
  }
  return h;
}

const std::vector<std::string> default_words = bot_settings().handoff_words;

}  // namespace

// --- estimate_tokens ---

TEST(prompt_tokens, ascii_is_about_four_bytes_a_token) {
  EXPECT_EQ(estimate_tokens(""), 0u);
  EXPECT_EQ(estimate_tokens("a"), 1u);
  EXPECT_EQ(estimate_tokens("abcd"), 1u);
  EXPECT_EQ(estimate_tokens("abcde"), 2u);
  EXPECT_EQ(estimate_tokens(std::string(400, 'a')), 100u);
}

TEST(prompt_tokens, each_cjk_character_is_one_token) {
  // 你好世界: four characters, twelve bytes.
  EXPECT_EQ(estimate_tokens("\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x96\xE7\x95\x8C"), 4u);
  // More tokens than the same number of ASCII bytes would give.
  std::string cjk;
  for (int i = 0; i < 100; i++) cjk += "\xE4\xBD\xA0";
  EXPECT_EQ(estimate_tokens(cjk), 100u);
  EXPECT_GT(estimate_tokens(cjk), estimate_tokens(std::string(cjk.size(), 'a')));
  // Mixed: 8 ASCII bytes (2) + 2 characters.
  EXPECT_EQ(estimate_tokens("hello, \xE4\xBD\xA0\xE5\xA5\xBD!"), 4u);
  // An emoji is one code point.
  EXPECT_EQ(estimate_tokens("\xF0\x9F\x98\x80"), 1u);
}

// --- bot_prompt ---

TEST(bot_prompt, system_prompt_first_then_history_in_order_with_roles) {
  auto s = settings_with();
  std::vector<turn> h = {{speaker::visitor, "hi"},
                         {speaker::bot, "hello, how can I help?"},
                         {speaker::agent, "agent here"},
                         {speaker::visitor, "where is my order?"}};
  auto msgs = bot_prompt(s, h);
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_EQ(msgs[0].role, "system");
  EXPECT_EQ(msgs[0].content, "You are Ava.");
  EXPECT_EQ(msgs[1].role, "user");
  EXPECT_EQ(msgs[1].content, "hi");
  EXPECT_EQ(msgs[2].role, "assistant");
  EXPECT_EQ(msgs[2].content, "hello, how can I help?");
  EXPECT_EQ(msgs[3].role, "assistant");  // an agent speaks for the site, as the bot does
  EXPECT_EQ(msgs[3].content, "agent here");
  EXPECT_EQ(msgs[4].role, "user");
  EXPECT_EQ(msgs[4].content, "where is my order?");
}

TEST(bot_prompt, empty_history_gives_only_the_system_prompt) {
  auto msgs = bot_prompt(settings_with(), {});
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].role, "system");
}

TEST(bot_prompt, knowledge_entries_for_the_last_visitor_message_are_appended) {
  auto s = settings_with({{"How do I reset my password?", "Use the reset link."},
                          {"What are your opening hours?", "9 to 5."},
                          {"Do you ship abroad?", "Yes."}});
  std::vector<turn> h = {{speaker::visitor, "when are your opening hours"},
                         {speaker::bot, "9 to 5"},
                         {speaker::visitor, "and how do I reset my password"},
                         {speaker::bot, "one moment"}};  // the last VISITOR message counts
  auto msgs = bot_prompt(s, h);
  const std::string& sys = msgs[0].content;
  EXPECT_EQ(sys.rfind("You are Ava.", 0), 0u);
  EXPECT_NE(sys.find("Q: How do I reset my password?\nA: Use the reset link."), std::string::npos)
      << sys;
  EXPECT_EQ(sys.find("Do you ship abroad?"), std::string::npos) << sys;
}

TEST(bot_prompt, knowledge_is_limited_to_knowledge_top_best_first) {
  auto s = settings_with({{"shipping costs", "5 euros"},
                          {"shipping time and shipping costs", "3 days"},
                          {"shipping abroad", "EU only"}});
  s.knowledge_top = 1;
  auto sys = bot_prompt(s, {{speaker::visitor, "shipping costs?"}})[0].content;
  EXPECT_NE(sys.find("Q: shipping costs\nA: 5 euros"), std::string::npos) << sys;
  EXPECT_EQ(sys.find("EU only"), std::string::npos);
  EXPECT_EQ(sys.find("3 days"), std::string::npos);
  s.knowledge_top = 3;
  sys = bot_prompt(s, {{speaker::visitor, "shipping costs?"}})[0].content;
  EXPECT_NE(sys.find("EU only"), std::string::npos);
  EXPECT_LT(sys.find("5 euros"), sys.find("EU only"));
}

TEST(bot_prompt, no_knowledge_section_without_a_match_or_with_knowledge_top_zero) {
  auto s = settings_with({{"password reset", "link"}});
  EXPECT_EQ(bot_prompt(s, {{speaker::visitor, "hello there"}})[0].content, "You are Ava.");
  s.knowledge_top = 0;
  EXPECT_EQ(bot_prompt(s, {{speaker::visitor, "password"}})[0].content, "You are Ava.");
  s.knowledge = nullptr;
  s.knowledge_top = 3;
  EXPECT_EQ(bot_prompt(s, {{speaker::visitor, "password"}})[0].content, "You are Ava.");
}

TEST(bot_prompt, history_turns_keeps_the_newest_turns) {
  auto s = settings_with();
  s.history_turns = 3;
  auto h = numbered_turns(10);
  auto msgs = bot_prompt(s, h);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[1].content, h[7].text);
  EXPECT_EQ(msgs[2].content, h[8].text);
  EXPECT_EQ(msgs[3].content, h[9].text);
}

TEST(bot_prompt, history_tokens_budget_drops_the_oldest_first) {
  auto s = settings_with();
  s.history_turns = 100;
  // 40 ASCII bytes = 10 tokens + 4 overhead = 14 a turn; 100 tokens hold 7 of them.
  auto h = numbered_turns(20, 40);
  s.history_tokens = 100;
  auto msgs = bot_prompt(s, h);
  ASSERT_EQ(msgs.size(), 1u + 7u);
  EXPECT_EQ(msgs[1].content, h[13].text);
  EXPECT_EQ(msgs.back().content, h[19].text);
  std::size_t used = 0;
  for (std::size_t i = 1; i < msgs.size(); i++) used += estimate_tokens(msgs[i].content) + 4;
  EXPECT_LE(used, 100u);
}

TEST(bot_prompt, the_tighter_of_the_two_budgets_wins) {
  auto s = settings_with();
  auto h = numbered_turns(20, 40);
  s.history_turns = 5;
  s.history_tokens = 1000;
  EXPECT_EQ(bot_prompt(s, h).size(), 1u + 5u);
  s.history_turns = 50;
  s.history_tokens = 30;  // two turns of 14
  EXPECT_EQ(bot_prompt(s, h).size(), 1u + 2u);
}

TEST(bot_prompt, kept_history_is_contiguous_even_when_an_older_short_turn_would_fit) {
  auto s = settings_with();
  s.history_tokens = 100;
  std::vector<turn> h = {{speaker::visitor, "short"},
                         {speaker::bot, std::string(400, 'x')},  // 104 tokens: over the budget
                         {speaker::visitor, "latest"}};
  auto msgs = bot_prompt(s, h);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1].content, "latest");
}

TEST(bot_prompt, the_latest_turn_is_kept_even_when_it_alone_is_over_budget) {
  auto s = settings_with();
  s.history_tokens = 100;
  std::vector<turn> h = {{speaker::bot, "earlier"}, {speaker::visitor, std::string(2000, 'y')}};
  auto msgs = bot_prompt(s, h);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1].content.size(), 2000u);
}

TEST(bot_prompt, cjk_turns_cost_more_of_the_budget_than_ascii_of_the_same_bytes) {
  auto s = settings_with();
  s.history_tokens = 100;
  std::string cjk;
  for (int i = 0; i < 20; i++) cjk += "\xE4\xBD\xA0";  // 60 bytes, 20 tokens (+4)
  std::vector<turn> cjk_h(10, turn{speaker::visitor, cjk});
  std::vector<turn> ascii_h(10, turn{speaker::visitor, std::string(60, 'a')});  // 15 (+4)
  EXPECT_EQ(bot_prompt(s, cjk_h).size(), 1u + 4u);                              // 4 x 24 = 96
  EXPECT_EQ(bot_prompt(s, ascii_h).size(), 1u + 5u);                            // 5 x 19 = 95
}

// --- assist_prompt ---

TEST(assist_prompt, reply_has_instructions_knowledge_and_a_labelled_transcript) {
  auto s = settings_with({{"How do I reset my password?", "Use the reset link."}});
  std::vector<turn> h = {{speaker::visitor, "I can't log in, password reset?"},
                         {speaker::bot, "Let me get someone."},
                         {speaker::agent, "Hi, I'm Bob."}};
  auto msgs = assist_prompt(s, assist_kind::reply, h);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].role, "system");
  EXPECT_NE(msgs[0].content.find("agent"), std::string::npos);
  EXPECT_NE(msgs[0].content.find("Use the reset link."), std::string::npos);
  EXPECT_EQ(msgs[0].content.find("You are Ava."), std::string::npos);  // not the bot's prompt
  EXPECT_EQ(msgs[1].role, "user");
  EXPECT_EQ(msgs[1].content,
            "Customer: I can't log in, password reset?\nAssistant: Let me get someone.\n"
            "Agent: Hi, I'm Bob.\n");
}

TEST(assist_prompt, summary_has_its_own_instructions_and_no_knowledge) {
  auto s = settings_with({{"password reset", "Use the reset link."}});
  std::vector<turn> h = {{speaker::visitor, "password reset please"}};
  auto msgs = assist_prompt(s, assist_kind::summary, h);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_NE(msgs[0].content.find("Summarise"), std::string::npos);
  EXPECT_EQ(msgs[0].content.find("Use the reset link."), std::string::npos);
  EXPECT_EQ(msgs[1].content, "Customer: password reset please\n");
}

TEST(assist_prompt, summary_takes_more_of_the_conversation_than_reply) {
  auto s = settings_with();
  s.history_turns = 4;
  s.history_tokens = 10000;
  auto h = numbered_turns(30);
  auto count = [](const std::string& t) { return std::count(t.begin(), t.end(), '\n'); };
  EXPECT_EQ(count(assist_prompt(s, assist_kind::reply, h)[1].content), 4);
  EXPECT_EQ(count(assist_prompt(s, assist_kind::summary, h)[1].content), 20);
  // The newest turn is always in.
  EXPECT_NE(assist_prompt(s, assist_kind::reply, h)[1].content.find(h[29].text), std::string::npos);
}

// --- asks_for_human ---

TEST(prompt_asks_for_human, whole_ascii_words_match_case_insensitively) {
  EXPECT_TRUE(asks_for_human("I want a human", default_words));
  EXPECT_TRUE(asks_for_human("AGENT please", default_words));
  EXPECT_TRUE(asks_for_human("Agent!", default_words));
  EXPECT_TRUE(asks_for_human("can I talk to an operator?", default_words));
  EXPECT_TRUE(asks_for_human("human", default_words));
  EXPECT_TRUE(asks_for_human("(human)", default_words));
}

TEST(prompt_asks_for_human, a_word_inside_a_longer_word_does_not_match) {
  EXPECT_FALSE(asks_for_human("our agents are busy", default_words));
  EXPECT_FALSE(asks_for_human("humanity", default_words));
  EXPECT_FALSE(asks_for_human("travel agency", default_words));
  EXPECT_FALSE(asks_for_human("cooperators", default_words));
  EXPECT_FALSE(asks_for_human("agent_x", default_words));
  EXPECT_FALSE(asks_for_human("agent2", default_words));
  std::vector<std::string> man = {"man"};
  EXPECT_FALSE(asks_for_human("I work in management", man));
  EXPECT_FALSE(asks_for_human("Germany", man));
  EXPECT_TRUE(asks_for_human("a man, please", man));
}

TEST(prompt_asks_for_human, a_later_whole_word_match_is_found_after_a_partial_one) {
  EXPECT_TRUE(asks_for_human("the agents said: get me an agent", default_words));
  EXPECT_TRUE(asks_for_human("humanity needs a human", default_words));
}

TEST(prompt_asks_for_human, multi_word_phrases_match_as_whole_words) {
  EXPECT_TRUE(asks_for_human("I need a REAL PERSON now", default_words));
  EXPECT_TRUE(asks_for_human("real person", default_words));
  EXPECT_FALSE(asks_for_human("surreal personality test", default_words));
  EXPECT_FALSE(asks_for_human("a real, person", default_words));
}

TEST(prompt_asks_for_human, cjk_words_match_anywhere_inside_a_sentence) {
  // 我要转人工客服 (I want a human agent), 请帮我找人工 (please find me a person).
  EXPECT_TRUE(asks_for_human("\xE6\x88\x91\xE8\xA6\x81\xE8\xBD\xAC\xE4\xBA\xBA\xE5\xB7\xA5",
                             default_words));
  EXPECT_TRUE(
      asks_for_human("\xE8\xAF\xB7\xE5\xB8\xAE\xE6\x88\x91\xE6\x89\xBE\xE4\xBA\xBA"
                     "\xE5\xB7\xA5\xE5\x90\xA7",
                     default_words));
  // 人工 right after Latin letters still counts.
  EXPECT_TRUE(asks_for_human("please\xE4\xBA\xBA\xE5\xB7\xA5", default_words));
  // 人 alone or 工人 (worker) is not 人工.
  EXPECT_FALSE(asks_for_human("\xE5\xB7\xA5\xE4\xBA\xBA", default_words));
}

TEST(prompt_asks_for_human, ordinary_messages_do_not_match) {
  EXPECT_FALSE(asks_for_human("", default_words));
  EXPECT_FALSE(asks_for_human("where is my order?", default_words));
  EXPECT_FALSE(asks_for_human("human", {}));
  EXPECT_FALSE(asks_for_human("anything", {""}));
}

TEST(prompt_asks_for_human, custom_words_are_matched_case_insensitively_from_either_side) {
  std::vector<std::string> words = {"Manager", "Speak To Someone"};
  EXPECT_TRUE(asks_for_human("get me your MANAGER", words));
  EXPECT_TRUE(asks_for_human("can I speak to someone", words));
  EXPECT_FALSE(asks_for_human("managers", words));
}

// --- transfer_tool ---

TEST(prompt_transfer_tool, is_transfer_to_human_with_a_valid_object_schema) {
  tool_spec t = transfer_tool();
  EXPECT_EQ(t.name, "transfer_to_human");
  EXPECT_FALSE(t.description.empty());
  auto schema = nlohmann::json::parse(t.parameters_json, nullptr, false);
  ASSERT_FALSE(schema.is_discarded());
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["properties"]["reason"]["type"], "string");
}
