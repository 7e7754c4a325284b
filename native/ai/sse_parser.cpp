// Field handling of the SSE parser: only `data` matters to chat completions; `event`, `id` and
// `retry` are read and ignored, comments are skipped.
#include "ai/sse_parser.h"

namespace sb::ai {

void sse_parser::take_line() {
  std::string_view line(line_);
  if (line.front() == ':') {  // comment (keep-alive)
    line_.clear();
    return;
  }
  std::size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  }
  line_.clear();
}

}  // namespace sb::ai
