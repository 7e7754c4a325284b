// Helpers shared by the sensitive-word filter tests: a matcher from word-list text.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filter/word_list.h"
#include "filter/word_matcher.h"

namespace sb::filter::testing {

inline std::shared_ptr<const word_matcher> compile(std::string_view list) {
  std::vector<word_entry> entries;
  std::string error;
  EXPECT_TRUE(parse_word_list(list, entries, error)) << error;
  std::shared_ptr<const word_matcher> m = word_matcher::build(entries, error);
  EXPECT_TRUE(m) << error;
  return m;
}

}  // namespace sb::filter::testing
