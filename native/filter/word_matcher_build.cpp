// Compiling a word list: normalise each entry into a pattern of runs, build the trie over
// character codes (most frequent first), lay it out as a double array (children of a state at
// base + code, each slot naming its parent), then the failure links and output chains.
#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "filter/word_matcher.h"

namespace sb::filter {
namespace {

constexpr std::uint32_t k_max_units = 100;  // longest pattern, in units
constexpr std::uint32_t k_free = 0xFFFFFFFF;

struct source_pattern {
  std::vector<char32_t> cps;
  std::vector<std::uint32_t> counts;
  std::uint32_t entry;
};

std::string where(const word_entry& e, std::size_t index) {
  return e.line ? "line " + std::to_string(e.line) : "entry " + std::to_string(index + 1);
}

// The entry as one or two patterns: as written, and with its words joined when it has several.
bool patterns_of(const word_entry& e, std::uint32_t index, std::vector<source_pattern>& out,
                 std::string& error) {
  normalized_text t = normalize(e.word);
  if (t.empty()) {
    error = where(e, index) + ": \"" + e.word + "\" has no letters or digits";
    return false;
  }
  if (t.size() > k_max_units) {
    error = where(e, index) + ": \"" + e.word + "\" is longer than " + std::to_string(k_max_units) +
            " characters";
    return false;
  }
  source_pattern whole{{}, {}, index}, joined{{}, {}, index};
  bool spaced = false;
  for (const unit& u : t) {
    whole.cps.push_back(u.cp);
    whole.counts.push_back(u.count);
    if (u.cp == U' ') {
      spaced = true;
    } else if (!joined.cps.empty() && joined.cps.back() == u.cp) {
      joined.counts.back() += u.count;
    } else {
      joined.cps.push_back(u.cp);
      joined.counts.push_back(u.count);
    }
  }
  out.push_back(std::move(whole));
  if (spaced) out.push_back(std::move(joined));
  return true;
}

// Slots of the double array in use, with a fast search for a free one.
class slot_map {
 public:
  bool used(std::uint32_t i) const {
    return (i >> 6) < bits_.size() && (bits_[i >> 6] >> (i & 63)) & 1;
  }
  void take(std::uint32_t i) {
    if ((i >> 6) >= bits_.size()) bits_.resize((i >> 6) + 1, 0);
    bits_[i >> 6] |= 1ULL << (i & 63);
    while (used(first_free_)) first_free_++;
  }
  // The first free slot at or after max(i, first free, where searches start).
  std::uint32_t next_free(std::uint32_t i) const {
    i = std::max(i, std::max(first_free_, search_from_));
    for (;;) {
      std::size_t w = i >> 6;
      if (w >= bits_.size()) return i;
      std::uint64_t free = ~bits_[w] & (~0ULL << (i & 63));
      if (free) return static_cast<std::uint32_t>(w * 64 + __builtin_ctzll(free));
      i = static_cast<std::uint32_t>((w + 1) * 64);
    }
  }

  // A region where a search had to try many places is nearly full: later searches skip it
  // (its few holes stay empty), which keeps building 100,000 words at about a second.
  void searched(std::uint32_t from, std::uint32_t found, std::uint32_t tries) {
    if (tries > 64) search_from_ = std::max(search_from_, from + (found - from) / 2);
  }

 private:
  std::vector<std::uint64_t> bits_;
  std::uint32_t first_free_ = 0, search_from_ = 0;
};

}  // namespace

std::shared_ptr<const word_matcher> word_matcher::build(const std::vector<word_entry>& entries,
                                                        std::string& error) {
  std::vector<source_pattern> sources;
  for (std::size_t i = 0; i < entries.size(); i++) {
    if (!patterns_of(entries[i], static_cast<std::uint32_t>(i), sources, error)) return nullptr;
  }
  auto m = std::shared_ptr<word_matcher>(new word_matcher());
  m->entries_ = entries;

  // Codes by frequency: the common characters get small codes and pack densely.
  std::unordered_map<char32_t, std::uint32_t> freq;
  for (const source_pattern& p : sources) {
    for (char32_t c : p.cps) freq[c]++;
  }
  if (freq.size() >= 0xFFFF) {
    error = "word list: more than 65534 different characters";
    return nullptr;
  }
  std::vector<std::pair<char32_t, std::uint32_t>> by_freq(freq.begin(), freq.end());
  std::sort(by_freq.begin(), by_freq.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  m->bmp_codes_.assign(0x10000, 0);
  std::unordered_map<char32_t, std::uint32_t> code;
  for (std::size_t i = 0; i < by_freq.size(); i++) {
    auto c = static_cast<std::uint16_t>(i + 1);
    code[by_freq[i].first] = c;
    if (by_freq[i].first < 0x10000) {
      m->bmp_codes_[by_freq[i].first] = c;
    } else {
      m->high_codes_.emplace_back(by_freq[i].first, c);
    }
  }
  std::sort(m->high_codes_.begin(), m->high_codes_.end());
  const auto alphabet = static_cast<std::uint32_t>(by_freq.size());

  // The trie: node 0 is the root; edges keyed by parent * 65536 + code.
  std::vector<std::uint32_t> parent{0}, edge_code{0}, node_depth{0};
  std::unordered_map<std::uint64_t, std::uint32_t> edges;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> finals;  // (node, pattern)
  for (std::uint32_t pi = 0; pi < sources.size(); pi++) {
    std::uint32_t at = 0;
    for (char32_t c : sources[pi].cps) {
      std::uint64_t key = static_cast<std::uint64_t>(at) * 65536 + code[c];
      auto [it, fresh] = edges.emplace(key, static_cast<std::uint32_t>(parent.size()));
      if (fresh) {
        parent.push_back(at);
        edge_code.push_back(code[c]);
        node_depth.push_back(node_depth[at] + 1);
      }
      at = it->second;
    }
    finals.emplace_back(at, pi);
  }
  const auto trie_size = static_cast<std::uint32_t>(parent.size());
  m->states_ = trie_size;

  // Children of each node, by code, in one array.
  std::vector<std::uint32_t> child_begin(trie_size + 1, 0), children(trie_size - 1);
  for (std::uint32_t v = 1; v < trie_size; v++) child_begin[parent[v] + 1]++;
  for (std::uint32_t v = 0; v < trie_size; v++) child_begin[v + 1] += child_begin[v];
  std::vector<std::uint32_t> fill(child_begin.begin(), child_begin.end() - 1);
  for (std::uint32_t v = 1; v < trie_size; v++) children[fill[parent[v]]++] = v;
  for (std::uint32_t v = 0; v < trie_size; v++) {
    std::sort(children.begin() + child_begin[v], children.begin() + child_begin[v + 1],
              [&](std::uint32_t a, std::uint32_t b) { return edge_code[a] < edge_code[b]; });
  }

  // Double array, breadth first: each node's children at base + code in free slots.
  std::vector<std::uint32_t> slot(trie_size, 0), order{0};
  std::vector<std::uint32_t> base(1, 0);
  slot_map slots;
  slots.take(0);
  std::uint32_t top = 0;
  for (std::size_t qi = 0; qi < order.size(); qi++) {
    std::uint32_t v = order[qi];
    std::uint32_t cb = child_begin[v], ce = child_begin[v + 1];
    if (cb == ce) continue;
    std::uint32_t lo = edge_code[children[cb]];
    std::uint32_t f = slots.next_free(lo), from = f, tries = 0;
    for (;; tries++) {
      bool fits = true;
      for (std::uint32_t k = cb + 1; k < ce && fits; k++) {
        fits = !slots.used(f - lo + edge_code[children[k]]);
      }
      if (fits) break;
      f = slots.next_free(f + 1);
    }
    slots.searched(from, f, tries);
    std::uint32_t b = f - lo;
    if (base.size() <= slot[v]) base.resize(slot[v] + 1, 0);
    base[slot[v]] = b;
    for (std::uint32_t k = cb; k < ce; k++) {
      std::uint32_t c = children[k], s = b + edge_code[c];
      slots.take(s);
      slot[c] = s;
      top = std::max(top, s);
      order.push_back(c);
    }
  }
  const std::uint32_t size = std::max<std::uint32_t>(top, base.size()) + alphabet + 2;
  m->nodes_.assign(size, node{k_free, 0, 0, 0});
  m->out_.assign(size, no_output);
  m->depth_.assign(size, 0);
  for (std::uint32_t v = 0; v < trie_size; v++) {
    node& n = m->nodes_[slot[v]];
    n.base = slot[v] < base.size() ? base[slot[v]] : 0;
    n.check = v == 0 ? k_free : slot[parent[v]];
    for (std::uint32_t k = child_begin[v]; k < child_begin[v + 1]; k++) {
      n.children |= 1u << (edge_code[children[k]] & 31);
    }
    m->depth_[slot[v]] = static_cast<std::uint8_t>(node_depth[v]);
  }

  // Patterns and their run lengths.
  for (const source_pattern& p : sources) {
    pattern q{};
    q.entry = p.entry;
    q.counts = static_cast<std::uint32_t>(m->counts_.size());
    q.len = static_cast<std::uint16_t>(p.cps.size());
    q.action = entries[p.entry].allow ? verdict::allow : entries[p.entry].action;
    q.allow = entries[p.entry].allow;
    q.singles = std::all_of(p.counts.begin(), p.counts.end(), [](auto n) { return n == 1; });
    for (std::uint32_t n : p.counts)
      m->counts_.push_back(static_cast<std::uint8_t>(std::min(n, 255u)));
    m->patterns_.push_back(q);
    m->max_len_ = std::max<std::uint32_t>(m->max_len_, q.len);
  }
  std::sort(finals.begin(), finals.end());

  // Failure links and output chains, breadth first (a suffix is always shallower).
  node* nodes = m->nodes_.data();
  std::uint32_t* out = m->out_.data();
  for (std::uint32_t v : order) {
    std::uint32_t s = slot[v];
    if (v != 0 && parent[v] != 0) {
      std::uint32_t f = nodes[slot[parent[v]]].fail, c = edge_code[v];
      for (;;) {
        std::uint32_t t = nodes[f].base + c;
        if (nodes[t].check == f) {
          nodes[s].fail = t;
          break;
        }
        if (f == 0) break;
        f = nodes[f].fail;
      }
    }
    out[s] = v == 0 ? no_output : out[nodes[s].fail];
    auto it = std::lower_bound(finals.begin(), finals.end(), std::make_pair(v, 0u));
    for (; it != finals.end() && it->first == v; ++it) {
      m->outputs_.push_back(output{it->second, out[s]});
      out[s] = static_cast<std::uint32_t>(m->outputs_.size() - 1);
    }
  }
  for (std::uint32_t v : order) {  // fail links are final: flag the states with outputs
    if (out[slot[v]] != no_output) nodes[slot[v]].fail |= k_has_output;
  }
  return m;
}

}  // namespace sb::filter
