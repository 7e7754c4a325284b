// The hub's view of one authenticated connection: who it is and, per conversation, the last
// seq it was sent, so that every connection sees each conversation in seq order with no gap
// and no duplicate, whatever races between live fan-out and a resume replay.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hub/admission.h"
#include "hub/connection.h"

namespace sb::hub {

enum class role : std::uint8_t { visitor, agent };

class client {
 public:
  client(std::weak_ptr<connection> conn, role r, std::string principal, std::string site,
         std::string name)
      : conn_(std::move(conn)),
        role_(r),
        principal_(std::move(principal)),
        site_(std::move(site)),
        name_(std::move(name)) {}

  role kind() const { return role_; }
  bool is_agent() const { return role_ == role::agent; }
  /** Visitor id or agent id. */
  const std::string& principal() const { return principal_; }
  /** The visitor's site; empty for agents (they may serve several). */
  const std::string& site() const { return site_; }
  const std::string& name() const { return name_; }
  /** The key its address is rate-limited by (hub/admission.h), "" when exempt. */
  const std::string& ip_scope() const { return ip_scope_; }
  void set_ip_scope(std::string k) { ip_scope_ = std::move(k); }
  /** The rate rules cached for `version` of the hub's rules, or null. */
  std::shared_ptr<const rate_rules> cached_rules(std::uint64_t version) const {
    std::lock_guard<std::mutex> lock(mu_);
    return rules_version_ == version ? rules_ : nullptr;
  }
  void cache_rules(std::uint64_t version, std::shared_ptr<const rate_rules> r) const {
    std::lock_guard<std::mutex> lock(mu_);
    rules_version_ = version;
    rules_ = std::move(r);
  }
  /** Counts a refusal; true when the connection has flooded and must be closed. */
  template <class Strike>
  bool strike(Strike&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return fn(strikes_);
  }

  /** Sends a frame that carries no seq. */
  void send(const frame_ptr& f) const {
    if (auto c = conn_.lock()) c->send(f);
  }
  void close(std::uint16_t code, std::string_view reason) const {
    if (auto c = conn_.lock()) c->close(code, reason);
  }

  enum class seq_verdict { sent, stale, gap };

  /**
   * Sends `frame` (message `seq` of `conv`) if it is the next one this connection expects.
   * `stale`: already sent, dropped. `gap`: earlier messages are missing; the caller backfills
   * them from the store (which already has them: fan-out happens after commit).
   * A conversation this connection has never seen accepts any seq as its start.
   */
  seq_verdict send_seq(const std::string& conv, std::uint64_t seq, const frame_ptr& frame) {
    std::lock_guard<std::mutex> lock(mu_);
    std::uint64_t* last = find_or_null(conv);
    if (!last) {
      seqs_.emplace_back(conv, seq);
    } else if (seq <= *last) {
      return seq_verdict::stale;
    } else if (seq != *last + 1) {
      return seq_verdict::gap;
    } else {
      *last = seq;
    }
    send(frame);
    return seq_verdict::sent;
  }

  /** Starts tracking `conv` at `after` (resume point or the seq at join) if not tracked yet,
   *  or lowers nothing if it is. */
  void track(const std::string& conv, std::uint64_t after) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!find_or_null(conv)) seqs_.emplace_back(conv, after);
  }

  void untrack(const std::string& conv) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = seqs_.begin(); it != seqs_.end(); ++it) {
      if (it->first == conv) {
        seqs_.erase(it);
        return;
      }
    }
  }

  /** Last seq sent for `conv`, or 0. */
  std::uint64_t last_seq(const std::string& conv) {
    std::lock_guard<std::mutex> lock(mu_);
    std::uint64_t* last = find_or_null(conv);
    return last ? *last : 0;
  }

  /** Notes that `conv` needs a backfill; true when the caller must start the backfill runner
   *  (none is running for this connection). */
  bool request_backfill(const std::string& conv) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : backfill_queue_)
      if (c == conv) return false;
    backfill_queue_.push_back(conv);
    if (backfilling_) return false;
    backfilling_ = true;
    return true;
  }

  /** The runner's loop: next conversation to backfill, or false (and the runner stops). */
  bool next_backfill(std::string& conv) {
    std::lock_guard<std::mutex> lock(mu_);
    if (backfill_queue_.empty()) {
      backfilling_ = false;
      return false;
    }
    conv = std::move(backfill_queue_.front());
    backfill_queue_.erase(backfill_queue_.begin());
    return true;
  }

 private:
  std::uint64_t* find_or_null(const std::string& conv) {
    for (auto& e : seqs_)
      if (e.first == conv) return &e.second;
    return nullptr;
  }

  std::weak_ptr<connection> conn_;
  role role_;
  std::string principal_;
  std::string site_;
  std::string name_;
  std::string ip_scope_;  // set once, before the client is shared

  mutable std::mutex mu_;
  strike_counter strikes_;                           // guarded by mu_
  mutable std::uint64_t rules_version_ = 0;          // guarded by mu_
  mutable std::shared_ptr<const rate_rules> rules_;  // guarded by mu_
  // Guarded by mu_. A visitor has one or two conversations, an agent a handful: a vector
  // beats a hash map in memory and speed at these sizes.
  std::vector<std::pair<std::string, std::uint64_t>> seqs_;
  std::vector<std::string> backfill_queue_;
  bool backfilling_ = false;
};

using client_ptr = std::shared_ptr<client>;

}  // namespace sb::hub
