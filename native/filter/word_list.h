// Word lists for the sensitive-word filter: plain UTF-8 text, one entry per line.
//
//   # a comment: a line whose first non-blank character is '#', or ' #' after a word
//   word            masked: each of its characters shown as '*' (the default verdict)
//   word | mask     the same, written out
//   word | block    the message is refused (a stream is ended)
//   word | flag     delivered unchanged, reported for review
//   !word           allow-list: banned words inside it are not matched there ("!class" keeps
//                   "ass" from matching in "classic"); takes no verdict
//
// Blank lines are ignored; blanks around the word and the verdict are trimmed; a UTF-8 BOM and
// CRLF line ends are accepted. Matching ignores case, punctuation and most symbols (normalize.h),
// so a word can be written in any case and needs no escaping.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "filter/word_matcher.h"

namespace sb::filter {

/** Appends the entries of `text` to `out`; on a malformed line, false and `error` naming it
 *  ("line 7: unknown verdict \"ban\" (mask, block or flag)"). */
bool parse_word_list(std::string_view text, std::vector<word_entry>& out, std::string& error);

}  // namespace sb::filter
