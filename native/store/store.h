// The storage interface the hub writes through. Writes are queued and applied in submission
// order by the implementation's writer(s), many per transaction (group commit); callbacks run
// after the commit, so an ack sent from a callback is an ack of durable data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "store/records.h"

namespace sb::store {

enum class status {
  ok,
  not_found,
  unavailable,  // the database cannot be written or read right now; nothing was stored
  internal,     // a bug or corrupt data; logged by the store
};

const char* to_string(status s);

/**
 * Append a message. The store assigns `msg.seq` (last seq of the conversation + 1), `msg.id`
 * and keeps `conversation.last_seq` in step, in the same transaction. When `client_id` is not
 * empty and a message with the same (sender_id, client_id) exists, nothing is stored and the
 * result carries that earlier message with `duplicate = true` (idempotent resend).
 * The conversation must exist (an earlier put_conversation in the same queue is enough).
 */
struct append_message {
  message msg;
};

/** Insert or replace a conversation's row (state, agent, team, timestamps). last_seq is kept. */
struct put_conversation {
  conversation conv;
};

/** Insert or replace a visitor's profile. */
struct put_visitor {
  visitor v;
};

/** Raise a reader's read mark (never lowers it). */
struct put_read_mark {
  read_mark mark;
};

/** Record the tokens of one AI call. */
struct record_ai_usage {
  ai_usage_record usage;
};

using write_op =
    std::variant<append_message, put_conversation, put_visitor, put_read_mark, record_ai_usage>;

struct write_result {
  status st = status::ok;
  bool duplicate = false;  // append_message only
  message msg;             // append_message only: the stored (or earlier) message
};

using write_callback = std::function<void(write_result&&)>;

struct store_stats {
  std::uint64_t writes_queued = 0;  // waiting for the writer now
  std::uint64_t writes_total = 0;   // applied (committed or failed) since start
  std::uint64_t batches_total = 0;  // transactions committed
  std::uint64_t last_batch_size = 0;
  std::uint64_t max_batch_size = 0;
  double last_commit_ms = 0;  // duration of the last transaction, fsync included
};

/**
 * Thread safety: every member may be called from any thread. Reads are synchronous and meant
 * for paths that are not per-message hot (hello, resume, history); writes never block on disk.
 */
class store {
 public:
  virtual ~store() = default;

  /** Queues a write; `cb` (may be empty) runs on the writer thread after commit or failure,
   *  callbacks in submission order. After close() it is called at once with `unavailable`. */
  virtual void submit(write_op op, write_callback cb) = 0;

  /** Messages of `conv` with seq > after, ascending, at most `limit`. */
  virtual status messages_after(const std::string& conv, std::uint64_t after, std::size_t limit,
                                std::vector<message>& out) = 0;
  /** Messages of `conv` with seq < before, ascending, the newest `limit` of them. */
  virtual status messages_before(const std::string& conv, std::uint64_t before, std::size_t limit,
                                 std::vector<message>& out) = 0;

  virtual status get_conversation(const std::string& id, conversation& out) = 0;
  /** Every conversation whose state is not "closed" (loaded at start-up). */
  virtual status open_conversations(std::vector<conversation>& out) = 0;
  /** The newest open conversation of a visitor, if any. */
  virtual status open_conversation_of(const std::string& visitor_id, conversation& out) = 0;
  virtual status get_visitor(const std::string& id, visitor& out) = 0;
  virtual status read_marks(const std::string& conv, std::vector<read_mark>& out) = 0;
  /** AI token totals of one site, or of one conversation when `conv` is given, or of everything
   *  when both are empty. */
  virtual status ai_usage(const std::string& site, const std::string& conv,
                          ai_usage_totals& out) = 0;

  // Sites and agents change rarely (admin actions): written synchronously, durable on return.
  virtual status list_sites(std::vector<site>& out) = 0;
  virtual status put_site(const site& s) = 0;
  virtual status list_agents(std::vector<agent>& out) = 0;
  virtual status get_agent(const std::string& id, agent& out) = 0;
  virtual status find_agent_by_email(const std::string& email, agent& out) = 0;
  virtual status put_agent(const agent& a) = 0;

  /** Small key/value table for the server's own state (e.g. the token secret). */
  virtual status get_meta(const std::string& key, std::string& out) = 0;
  virtual status put_meta(const std::string& key, const std::string& value) = 0;

  virtual store_stats stats() const = 0;

  /** Applies every queued write, then stops the writer. Idempotent. */
  virtual void close() = 0;
};

struct sqlite_options {
  std::string path;  // database file; its directory must exist
  bool synchronous_full =
      true;  // fsync every commit (power-loss safe); false = NORMAL (crash safe)
  std::size_t max_batch = 4096;  // most writes per transaction
  int busy_timeout_ms = 5000;
};

/** Opens (creating and migrating as needed) a SQLite store in WAL mode. On failure returns
 *  nullptr and sets `error` to a message naming the file and the cause. */
std::unique_ptr<store> open_sqlite_store(const sqlite_options& opts, std::string& error);

/** A store that keeps everything in memory and forgets it on exit: for benchmarks of the
 *  transport and routing with persistence off, and for tests. Callbacks run on its own writer
 *  thread, in submission order, like the durable stores'. */
std::unique_ptr<store> open_memory_store();

}  // namespace sb::store
