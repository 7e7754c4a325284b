// The stream guard: units come out of the normaliser as soon as they are final and go through
// the automaton one by one. Everything before the longest pattern prefix the text now ends
// with is final: no later match can start there, nor can a later allow-list match cover a ban
// there, so those bans are decided, masked and passed on.
#include "filter/stream_guard.h"

#include <algorithm>
#include <utility>

namespace sb::filter {

stream_guard::stream_guard(std::shared_ptr<const word_matcher> matcher) : m_(std::move(matcher)) {}

void stream_guard::step_units() {
  std::uint32_t stable = norm_.open() ? n_ - 1 : n_;
  auto count_of = [this](std::uint32_t k) { return units_[k - unit_base_].count; };
  auto record = [this](const match& x) { (x.allow ? allows_ : bans_).push_back(x); };
  for (; stepped_ < stable; stepped_++) {
    state_ = m_->step(state_, units_[stepped_].cp);
    if (m_->has_output(state_)) m_->report(state_, unit_base_ + stepped_, count_of, record);
  }
}

verdict stream_guard::feed(std::string_view delta, std::string& out) {
  if (verdict_ == verdict::block || finished_) return verdict_;
  buf_.append(delta);
  std::string_view rest(buf_.data() + (decoded_ - base_), buf_.size() - (decoded_ - base_));
  if (units_.size() < n_ + rest.size() + 3) units_.resize(n_ + rest.size() + 3);
  decoded_ += static_cast<std::uint32_t>(norm_.feed(rest, decoded_, false, units_.data(), n_));
  step_units();
  settle(false, out);
  return verdict_;
}

verdict stream_guard::finish(std::string& out) {
  if (verdict_ == verdict::block || finished_) return verdict_;
  std::string_view rest(buf_.data() + (decoded_ - base_), buf_.size() - (decoded_ - base_));
  if (units_.size() < n_ + rest.size() + 3) units_.resize(n_ + rest.size() + 3);
  decoded_ += static_cast<std::uint32_t>(norm_.feed(rest, decoded_, true, units_.data(), n_));
  norm_.finish(units_.data(), n_);
  step_units();
  settle(true, out);
  finished_ = true;
  return verdict_;
}

void stream_guard::settle(bool at_end, std::string& out) {
  // Units before `final_units` are in no match that is not known yet, and bytes before
  // `frontier` in no such match either.
  const std::uint32_t unit_count = unit_base_ + stepped_;
  std::uint32_t final_units = unit_count, frontier = decoded_;
  if (!at_end && norm_.open()) {
    // The open run's character is known, only its length is not: step over it ahead of time.
    const unit& open = units_[n_ - 1];
    std::uint32_t d = m_->depth(m_->step(state_, open.cp));
    if (d == 0) {  // it starts no pattern, however it goes on: only a held-back word waits
      frontier = std::min(decoded_, norm_.held_word_begin());
    } else {
      final_units = unit_count + 1 - d;
      frontier = final_units < unit_count ? units_[final_units - unit_base_].begin : open.begin;
    }
  } else if (!at_end) {
    std::uint32_t d = m_->depth(state_);
    final_units = unit_count - d;
    if (d > 0) frontier = units_[final_units - unit_base_].begin;
    frontier = std::min(frontier, norm_.held_word_begin());
  }
  std::size_t kept = 0;
  for (const match& b : bans_) {
    if (b.first >= final_units) {
      bans_[kept++] = b;
      continue;
    }
    if (!allows_.empty() && detail::allowed(b, allows_, m_->max_length())) continue;
    detail::byte_span span{units_[b.first - unit_base_].begin, units_[b.last - unit_base_].end};
    words_.push_back(matched_word{b.entry, b.action, span.begin, span.end});
    verdict_ = std::max(verdict_, b.action);
    if (b.action != verdict::flag) masks_.push_back(span);
  }
  bans_.resize(kept);
  auto stale = std::find_if(allows_.begin(), allows_.end(),
                            [&](const match& a) { return a.last >= final_units; });
  allows_.erase(allows_.begin(), stale);
  if (verdict_ == verdict::block) {  // the caller ends the stream: nothing more goes out
    buf_.clear();
    return;
  }

  frontier = std::max(frontier, base_);
  std::sort(
      masks_.begin(), masks_.end(),
      [](const detail::byte_span& a, const detail::byte_span& b) { return a.begin < b.begin; });
  detail::append_masked(out, buf_, base_, base_, frontier, masks_);
  buf_.erase(0, frontier - base_);
  base_ = frontier;
  masks_.erase(std::remove_if(masks_.begin(), masks_.end(),
                              [&](const detail::byte_span& m) { return m.end <= frontier; }),
               masks_.end());
  std::uint32_t drop = final_units - unit_base_;  // units no match to come can reach
  if (drop > 64 && drop > n_ / 2) {
    std::copy(units_.begin() + drop, units_.begin() + n_, units_.begin());
    n_ -= drop;
    stepped_ -= drop;
    unit_base_ = final_units;
  }
}

}  // namespace sb::filter
