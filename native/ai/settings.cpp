// JSON -> bot_settings. Key names are the configuration's camelCase names (docs/ai.md).
#include "ai/settings.h"

#include <nlohmann/json.hpp>

#include "util/json_object.h"

namespace sb::ai {

using json = nlohmann::json;

namespace {

struct reader {
  std::string& error;
  const char* where;

  bool fail(const std::string& key, const char* expected) {
    if (error.empty()) error = std::string(where) + "." + key + " must be " + expected;
    return false;
  }
  void str(const json& j, const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string())
      out = it->get<std::string>();
    else
      fail(key, "a string");
  }
  void integer(const json& j, const char* key, int& out, int min) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_number_integer() && it->get<long long>() >= min && it->get<long long>() <= 1 << 30)
      out = it->get<int>();
    else
      fail(key, ("an integer >= " + std::to_string(min)).c_str());
  }
  void number(const json& j, const char* key, double& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_number() && it->get<double>() >= 0 && it->get<double>() <= 2)
      out = it->get<double>();
    else
      fail(key, "a number from 0 to 2");
  }
  void boolean(const json& j, const char* key, bool& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_boolean())
      out = it->get<bool>();
    else
      fail(key, "true or false");
  }
  void strings(const json& j, const char* key, std::vector<std::string>& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_array()) return (void)fail(key, "an array of strings");
    std::vector<std::string> v;
    for (const auto& s : *it) {
      if (!s.is_string()) return (void)fail(key, "an array of strings");
      if (!s.get<std::string>().empty()) v.push_back(s.get<std::string>());
    }
    out = std::move(v);
  }
  void knowledge(const json& j, std::vector<faq_entry>& out) {
    auto it = j.find("knowledge");
    if (it == j.end() || it->is_null()) return;
    if (!it->is_array()) return (void)fail("knowledge", "an array of {question, answer}");
    out.clear();
    for (const auto& e : *it) {
      if (!e.is_object() || !e.value("question", json()).is_string() ||
          !e.value("answer", json()).is_string())
        return (void)fail("knowledge", "an array of {question, answer}");
      out.push_back({e["question"].get<std::string>(), e["answer"].get<std::string>()});
    }
  }
};

void overlay(const json& j, reader& r, bot_settings& s, std::vector<faq_entry>& faq,
             bool& enabled_set) {
  auto& up = s.upstream;
  r.str(j, "baseUrl", up.base_url);
  r.str(j, "apiKey", up.api_key);
  r.str(j, "model", up.request.model);
  r.number(j, "temperature", up.request.temperature);
  r.integer(j, "maxTokens", up.request.max_tokens, 0);
  r.boolean(j, "includeUsage", up.request.include_usage);
  r.integer(j, "connectTimeoutMs", up.connect_timeout_ms, 1);
  r.integer(j, "firstTokenTimeoutMs", up.first_token_timeout_ms, 1);
  r.integer(j, "idleTimeoutMs", up.idle_timeout_ms, 1);
  r.integer(j, "totalTimeoutMs", up.total_timeout_ms, 1);
  r.integer(j, "maxRetries", up.max_retries, 0);
  r.integer(j, "retryBaseMs", up.retry_base_ms, 1);
  r.integer(j, "retryMaxMs", up.retry_max_ms, 1);
  r.integer(j, "queueTimeoutMs", up.queue_timeout_ms, 0);
  r.integer(j, "maxConcurrency", up.max_concurrency, 1);
  r.integer(j, "initialConcurrency", up.initial_concurrency, 1);
  r.boolean(j, "adaptiveConcurrency", up.adaptive_concurrency);
  r.str(j, "botName", s.bot_name);
  r.str(j, "systemPrompt", s.system_prompt);
  r.str(j, "greeting", s.greeting);
  r.strings(j, "handoffWords", s.handoff_words);
  r.boolean(j, "toolHandoff", s.tool_handoff);
  r.integer(j, "maxBotTurns", s.max_bot_turns, 1);
  r.integer(j, "historyTurns", s.history_turns, 1);
  r.integer(j, "historyTokens", s.history_tokens, 100);
  r.integer(j, "knowledgeTop", s.knowledge_top, 0);
  r.str(j, "handoffMessage", s.handoff_message);
  r.str(j, "unavailableMessage", s.unavailable_message);
  r.str(j, "busyMessage", s.busy_message);
  r.str(j, "offlineMessage", s.offline_message);
  r.knowledge(j, faq);
  if (j.contains("enabled") && !j["enabled"].is_null()) {
    r.boolean(j, "enabled", s.enabled);
    enabled_set = true;
  }
}

}  // namespace

std::shared_ptr<const bot_settings> make_bot_settings(std::string_view defaults_json,
                                                      std::string_view site_json,
                                                      std::string& error) {
  // The caller may pass a string that holds an earlier call's error (the hub's fallback does).
  error.clear();
  json defaults, site;
  if (!util::parse_json_object(defaults_json, "ai", defaults, error) ||
      !util::parse_json_object(site_json, "site.ai", site, error))
    return nullptr;
  auto s = std::make_shared<bot_settings>();
  std::vector<faq_entry> faq;
  bool default_enabled_set = false, site_enabled_set = false;
  reader rd{error, "ai"};
  overlay(defaults, rd, *s, faq, default_enabled_set);
  bool default_enabled = s->enabled;
  reader rs{error, "site.ai"};
  overlay(site, rs, *s, faq, site_enabled_set);
  if (!error.empty()) return nullptr;
  // Before `configured`: a base URL of only slashes is no URL.
  while (!s->upstream.base_url.empty() && s->upstream.base_url.back() == '/')
    s->upstream.base_url.pop_back();
  bool configured = !s->upstream.base_url.empty() && !s->upstream.request.model.empty();
  if (site_enabled_set)
    s->enabled = s->enabled && configured;
  else if (default_enabled_set)
    s->enabled = default_enabled && configured;
  else
    s->enabled = configured;
  s->knowledge = std::make_shared<knowledge_base>(std::move(faq));
  return s;
}

}  // namespace sb::ai
