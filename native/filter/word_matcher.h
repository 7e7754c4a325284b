// Sensitive-word matching: an Aho-Corasick automaton stored as a double array over the units
// of normalised text (normalize.h). Built once from a word list, immutable after: share it by
// std::shared_ptr and swap a new one in atomically. apply() masks, blocks or flags a message.
//
// Semantics: a word matches wherever its normalised form occurs in the normalised text (inside
// longer words too, so list exceptions on the allow-list); a character of the word matches a run
// of that character of the same length or of three or more (at the word's first and last
// character, any run at least as long). A word of several words ("kill yourself") also matches
// with the words joined ("killyourself", "kill-yourself"). A banned match lying within an
// allow-listed match (first unit >= and last unit <=) is ignored: ban "ass", allow "class".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/normalize.h"

namespace sb::filter {

/** What to do with a message, in order of severity. */
enum class verdict : std::uint8_t { allow, flag, mask, block };
const char* verdict_name(verdict v);

struct word_entry {
  std::string word;
  verdict action = verdict::mask;  // mask, block or flag (ignored for the allow-list)
  bool allow = false;              // an exception: banned words inside it are not matched
  std::uint32_t line = 0;          // line in the word list it came from (1-based), 0 if none
};

/** An occurrence of an entry, in units of the normalised text. */
struct match {
  std::uint32_t first;  // first unit
  std::uint32_t last;   // last unit
  std::uint32_t entry;  // index in the entries given to build()
  verdict action;
  bool allow;
};

/** A banned word found in a message, as a span of the original bytes. */
struct matched_word {
  std::uint32_t entry;
  verdict action;
  std::uint32_t begin;
  std::uint32_t end;
};

struct filter_result {
  verdict action = verdict::allow;  // the most severe of `words`, allow when none
  std::string masked;  // the text, every code point of a mask or block match replaced by '*'
  std::vector<matched_word> words;  // in order of their end; allow-listed ones left out
};

class word_matcher {
 public:
  /** Compiles `entries`; nullptr and `error` (naming the line) when one is unusable. */
  static std::shared_ptr<const word_matcher> build(const std::vector<word_entry>& entries,
                                                   std::string& error);

  /** Every occurrence of every entry (allow-list included) in order of the last unit. */
  template <class F>
  void scan(const normalized_text& text, F&& on_match) const {
    std::uint32_t s = 0;
    const unit* u = text.data();
    auto count_of = [u](std::uint32_t k) { return u[k].count; };
    const auto n = static_cast<std::uint32_t>(text.size());
    for (std::uint32_t i = 0; i < n; i++) {
      s = step(s, u[i].cp);
      if (has_output(s)) report(s, i, count_of, on_match);
    }
  }

  /** The verdict, masked text and banned words of one message. */
  filter_result apply(std::string_view text) const;
  /** apply() without the masked text; allocates nothing once warm (thread-local buffers). */
  verdict check(std::string_view text) const;

  const word_entry& entry(std::uint32_t i) const { return entries_[i]; }
  std::size_t entry_count() const { return entries_.size(); }
  /** The longest pattern, in units. */
  std::uint32_t max_length() const { return max_len_; }
  std::size_t state_count() const { return states_; }
  std::size_t memory_bytes() const;

  // The automaton one unit at a time (stream_guard): state 0 is the start.
  std::uint32_t step(std::uint32_t state, char32_t cp) const {
    std::uint32_t code = cp < 0x10000 ? bmp_codes_[cp] : code_high(cp);
    if (code == 0) return 0;
    const node* n = nodes_.data();
    // Where the root goes, loaded before it is known to be needed: it does not depend on
    // `state`, so the load overlaps the walk (most walks end at the root).
    const std::uint32_t from_root = n[0].base + code;
    const bool root_has = n[from_root].check == 0;
    while (state != 0) {
      const node& at = n[state];
      if ((at.children >> (code & 31)) & 1) {  // may have a child by this code
        std::uint32_t t = at.base + code;
        if (n[t].check == state) return t;
      }
      state = at.fail & ~k_has_output;
    }
    return root_has ? from_root : 0;
  }
  /** True when some pattern ends at `state` (then report() has something to check). */
  bool has_output(std::uint32_t state) const { return nodes_[state].fail & k_has_output; }
  /** Length in units of the longest pattern prefix that `state` stands for. */
  std::uint32_t depth(std::uint32_t state) const { return depth_[state]; }
  /** The matches ending at unit `last`, the one just stepped over; count_of(k) gives the run
   *  length of unit k (from last + 1 - max_length() on). */
  template <class Count, class F>
  void report(std::uint32_t state, std::uint32_t last, Count&& count_of, F&& on_match) const {
    for (std::uint32_t o = out_[state]; o != no_output; o = outputs_[o].next) {
      const pattern& p = patterns_[outputs_[o].pattern];
      std::uint32_t first = last + 1 - p.len;
      if (fits(p, first, count_of)) on_match(match{first, last, p.entry, p.action, p.allow});
    }
  }

 private:
  static constexpr std::uint32_t no_output = 0xFFFFFFFF;
  static constexpr std::uint32_t k_has_output = 0x80000000;
  struct node {
    std::uint32_t check;     // parent state of the state at this slot, or no_output when free
    std::uint32_t base;      // children at base + code
    std::uint32_t fail;      // the longest proper suffix state; k_has_output: out_ is set
    std::uint32_t children;  // bit (code % 32) set for the code of each child: most misses
                             // are decided without touching another cache line
  };
  struct pattern {
    std::uint32_t entry;
    std::uint32_t counts;  // offset in counts_ of its run lengths
    std::uint16_t len;     // in units
    verdict action;
    bool allow;
    bool singles;  // every run length is 1
  };
  struct output {
    std::uint32_t pattern;
    std::uint32_t next;  // the next output of the same state (then of its suffixes)
  };

  // Run lengths: exact or 3+ inside the pattern; at either end, at least as long (or 3+).
  template <class Count>
  bool fits(const pattern& p, std::uint32_t first, Count& count_of) const {
    if (p.singles) {
      for (std::uint32_t k = 1; k + 1 < p.len; k++) {
        if (count_of(first + k) == 2) return false;
      }
      return true;
    }
    const std::uint8_t* m = counts_.data() + p.counts;
    for (std::uint32_t k = 0; k < p.len; k++) {
      std::uint32_t n = count_of(first + k), want = m[k];
      bool edge = k == 0 || k + 1 == p.len;
      if (n >= 3 || n == want || (edge && n > want)) continue;
      return false;
    }
    return true;
  }
  std::uint32_t code_high(char32_t cp) const;

  std::vector<node> nodes_;
  std::vector<std::uint32_t> out_;  // first output record of each state, or no_output
  std::vector<std::uint8_t> depth_;
  std::vector<std::uint16_t> bmp_codes_;                        // code of each BMP code point
  std::vector<std::pair<char32_t, std::uint16_t>> high_codes_;  // sorted, above the BMP
  std::vector<pattern> patterns_;
  std::vector<std::uint8_t> counts_;
  std::vector<output> outputs_;
  std::vector<word_entry> entries_;
  std::uint32_t max_len_ = 0;
  std::size_t states_ = 0;
};

namespace detail {
struct byte_span {
  std::uint32_t begin, end;
};
/** True when an allow match in `allows` (sorted by last unit) covers `ban`. */
bool allowed(const match& ban, const std::vector<match>& allows, std::uint32_t max_len);
/** Appends bytes [from, to) of the original (`bytes` starts at offset `base`) to `out`, each
 *  code point inside one of `masks` (sorted by begin) replaced by '*'. */
void append_masked(std::string& out, std::string_view bytes, std::uint32_t base, std::uint32_t from,
                   std::uint32_t to, const std::vector<byte_span>& masks);
}  // namespace detail

}  // namespace sb::filter
