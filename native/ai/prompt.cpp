// Prompt assembly. The newest turns win the budget; the FAQ entries are chosen by the visitor's
// latest message, which is what the reply must answer.
#include "ai/prompt.h"

#include <algorithm>

namespace sb::ai {

std::size_t estimate_tokens(std::string_view text) {
  std::size_t ascii = 0, other = 0;
  for (unsigned char c : text) {
    if (c < 0x80)
      ascii++;
    else if ((c & 0xC0) != 0x80)
      other++;  // one per non-ASCII code point
  }
  return (ascii + 3) / 4 + other;
}

namespace {

/** Oldest-first slice of `history` that fits `max_turns` and `budget` tokens (always at least
 *  the latest turn). */
std::size_t first_kept(const std::vector<turn>& history, int max_turns, int budget) {
  std::size_t first = history.size();
  std::size_t used = 0;
  while (first > 0 && history.size() - first < static_cast<std::size_t>(max_turns)) {
    std::size_t cost = estimate_tokens(history[first - 1].text) + 4;
    if (first < history.size() && used + cost > static_cast<std::size_t>(budget)) break;
    used += cost;
    first--;
  }
  return first;
}

std::string knowledge_section(const bot_settings& s, const std::vector<turn>& history) {
  if (!s.knowledge || s.knowledge->size() == 0 || s.knowledge_top == 0) return {};
  std::string query;
  for (auto it = history.rbegin(); it != history.rend(); ++it)
    if (it->who == turn::speaker::visitor) {
      query = it->text;
      break;
    }
  auto hits = s.knowledge->search(query, s.knowledge_top);
  if (hits.empty()) return {};
  std::string out = "\n\nUse these entries from our knowledge base when they are relevant:";
  for (const auto* e : hits) out += "\nQ: " + e->question + "\nA: " + e->answer;
  return out;
}

const char* label(turn::speaker who) {
  switch (who) {
    case turn::speaker::visitor:
      return "Customer";
    case turn::speaker::bot:
      return "Assistant";
    default:
      return "Agent";
  }
}

}  // namespace

std::vector<chat_message> bot_prompt(const bot_settings& s, const std::vector<turn>& history) {
  std::vector<chat_message> out;
  out.push_back({"system", s.system_prompt + knowledge_section(s, history)});
  for (std::size_t i = first_kept(history, s.history_turns, s.history_tokens); i < history.size();
       i++) {
    const turn& t = history[i];
    out.push_back({t.who == turn::speaker::visitor ? "user" : "assistant", t.text});
  }
  return out;
}

std::vector<chat_message> assist_prompt(const bot_settings& s, assist_kind kind,
                                        const std::vector<turn>& history) {
  std::vector<chat_message> out;
  std::string transcript;
  // A summary wants more of the conversation than a reply does.
  int turns = kind == assist_kind::summary ? s.history_turns * 5 : s.history_turns;
  int budget = kind == assist_kind::summary ? s.history_tokens * 2 : s.history_tokens;
  for (std::size_t i = first_kept(history, turns, budget); i < history.size(); i++)
    transcript += std::string(label(history[i].who)) + ": " + history[i].text + "\n";
  if (kind == assist_kind::reply) {
    out.push_back({"system",
                   "You help a customer-service agent. Write the message the agent should send "
                   "next to the customer, in the customer's language. Answer with the message "
                   "text only." +
                       knowledge_section(s, history)});
  } else {
    out.push_back({"system",
                   "Summarise this customer-service conversation for a colleague who takes it "
                   "over: the customer's request, what was done, what is still open. At most five "
                   "short lines."});
  }
  out.push_back({"user", transcript});
  return out;
}

bool asks_for_human(std::string_view text, const std::vector<std::string>& words) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  };
  auto is_word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string hay = lower(text);
  for (const auto& w : words) {
    std::string needle = lower(w);
    if (needle.empty()) continue;
    bool ascii = std::all_of(needle.begin(), needle.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    for (std::size_t at = hay.find(needle); at != std::string::npos;
         at = hay.find(needle, at + 1)) {
      if (!ascii) return true;
      bool start_ok = at == 0 || !is_word_char(hay[at - 1]);
      std::size_t end = at + needle.size();
      bool end_ok = end == hay.size() || !is_word_char(hay[end]);
      if (start_ok && end_ok) return true;
    }
  }
  return false;
}

tool_spec transfer_tool() {
  return {
      "transfer_to_human",
      "Hand the conversation to a human agent: when the customer asks for a person, is "
      "upset, or needs something you cannot do.",
      R"({"type":"object","properties":{"reason":{"type":"string","description":"why, in a few words"}}})"};
}

}  // namespace sb::ai
