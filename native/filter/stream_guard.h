// The sensitive-word filter on a streamed text (AI output arriving in deltas): passes on at
// once what can no longer be part of a banned word and holds back the rest, so that no part of
// a banned word ever reaches the visitor and the concatenated output equals
// word_matcher::apply() of the whole text. It holds back the longest pattern prefix the text
// ends with (at most max_length() units), the last run of a character and a pending separator.
// Offsets are 32-bit: a stream below 4 GiB.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filter/normalize.h"
#include "filter/word_matcher.h"

namespace sb::filter {

class stream_guard {
 public:
  explicit stream_guard(std::shared_ptr<const word_matcher> matcher);

  /** Takes the next piece of the stream (split anywhere, even inside a UTF-8 sequence) and
   *  appends to `out` what can be shown now. Returns the verdict so far; once it is block,
   *  nothing more is appended (the caller ends the stream). */
  verdict feed(std::string_view delta, std::string& out);
  /** End of the stream: appends the rest. Feeding after finish() does nothing. */
  verdict finish(std::string& out);

  verdict current() const { return verdict_; }
  /** The banned words decided so far (byte offsets in the whole stream); a word's position in
   *  this list may differ from apply()'s, which lists them by end. */
  const std::vector<matched_word>& words() const { return words_; }
  /** Bytes received but not passed on yet. */
  std::size_t held_back() const { return buf_.size(); }

 private:
  void step_units();
  void settle(bool at_end, std::string& out);

  std::shared_ptr<const word_matcher> m_;
  normalizer norm_;
  std::string buf_;            // the stream from offset base_ on: not yet passed on
  std::uint32_t base_ = 0;     // everything before was passed on
  std::uint32_t decoded_ = 0;  // bytes given to the normaliser (a split UTF-8 tail waits)
  std::vector<unit> units_;    // units_[0, n_) are units unit_base_... of the stream
  std::uint32_t n_ = 0;        // the last one is open while norm_.open()
  std::uint32_t unit_base_ = 0;
  std::uint32_t stepped_ = 0;         // units_[0, stepped_) went through the automaton
  std::uint32_t state_ = 0;           // of the automaton, after them
  std::vector<match> bans_, allows_;  // matches whose outcome is open, by last unit
  std::vector<detail::byte_span> masks_;
  std::vector<matched_word> words_;
  verdict verdict_ = verdict::allow;
  bool finished_ = false;
};

}  // namespace sb::filter
