// Incremental parser for Server-Sent Events (the WHATWG event-stream format) as chat-completion
// APIs stream them: bytes arrive split anywhere, lines end in LF, CRLF or CR, `:` lines are
// comments, and an event is dispatched at the blank line that ends it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sb::ai {

class sse_parser {
 public:
  /** Longest event data kept; a longer event makes feed() fail (a broken or hostile upstream
   *  must not grow memory without bound). */
  explicit sse_parser(std::size_t max_event_bytes = 1 << 20) : max_(max_event_bytes) {}

  /**
   * Parses `bytes`, calling `on_event(std::string_view data)` for each complete event that has
   * data (multi-line data joined with '\n'). Returns false when an event outgrew the limit;
   * the parser is then unusable. `on_event` returning false stops parsing early (returns true).
   */
  template <class OnEvent>
  bool feed(std::string_view bytes, OnEvent&& on_event);

  /** At end of stream: dispatches an event whose blank line never came (lenient, as browsers
   *  are not, because some servers omit the final blank line before closing). */
  template <class OnEvent>
  void finish(OnEvent&& on_event) {
    if (!line_.empty()) take_line();
    if (has_data_) dispatch(on_event);
  }

  void reset() {
    line_.clear();
    data_.clear();
    has_data_ = false;
    after_cr_ = false;
  }

 private:
  /** Applies one complete line (in line_) to the event being built. */
  void take_line();
  template <class OnEvent>
  bool dispatch(OnEvent& on_event) {
    bool go = on_event(std::string_view(data_));
    data_.clear();
    has_data_ = false;
    return go;
  }

  std::size_t max_;
  std::string line_;  // the line being read
  std::string data_;  // the event being built
  bool has_data_ = false;
  bool after_cr_ = false;  // the previous byte ended a line with CR: a following LF belongs to it
};

template <class OnEvent>
bool sse_parser::feed(std::string_view bytes, OnEvent&& on_event) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes[i] == '\n') {
        i++;
        continue;
      }
    }
    // Copy the run up to the next line end in one go.
    std::size_t end = i;
    while (end < n && bytes[end] != '\n' && bytes[end] != '\r') end++;
    line_.append(bytes.data() + i, end - i);
    if (line_.size() + data_.size() > max_) return false;
    if (end == n) break;
    after_cr_ = bytes[end] == '\r';
    i = end + 1;
    if (line_.empty()) {
      if (has_data_ && !dispatch(on_event)) return true;
      continue;
    }
    take_line();
  }
  return true;
}

}  // namespace sb::ai
