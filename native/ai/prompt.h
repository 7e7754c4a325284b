// Prompts: the bot's (system prompt, relevant FAQ entries, recent turns within a token budget)
// and the agent-assist ones (suggested reply, summary for a transfer).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ai/settings.h"
#include "ai/wire.h"

namespace sb::ai {

/** One earlier message as the prompt sees it. */
struct turn {
  enum class speaker { visitor, bot, agent } who;
  std::string text;
};

/** A rough token count (about 4 ASCII bytes or one CJK character per token), enough to keep a
 *  prompt inside a budget without the model's tokenizer. */
std::size_t estimate_tokens(std::string_view text);

/** The messages for the bot's next reply; `history` is oldest first and ends with the
 *  visitor's latest message. */
std::vector<chat_message> bot_prompt(const bot_settings& s, const std::vector<turn>& history);

enum class assist_kind { reply, summary };
std::vector<chat_message> assist_prompt(const bot_settings& s, assist_kind kind,
                                        const std::vector<turn>& history);

/** Does `text` ask for a person? Case-insensitive; an ASCII word matches only as a whole word
 *  ("agent" is not in "agency"), other words (Chinese has no spaces) anywhere. */
bool asks_for_human(std::string_view text, const std::vector<std::string>& words);

/** The transfer_to_human function offered to the model. */
tool_spec transfer_tool();

}  // namespace sb::ai
