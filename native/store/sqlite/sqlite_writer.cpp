// The SQLite writer: applies a batch of writes in one transaction (group commit), assigning
// per-conversation seqs from a cache and honouring idempotency keys through the unique index;
// on failure nothing of the batch stays and the cache forgets the seqs it handed out.
#include <chrono>

#include "store/sqlite/sqlite_store.h"
#include "util/log.h"

namespace sb::store::sqlite {

struct sqlite_store::writer_statements {
  explicit writer_statements(sqlite3* db)
      : insert_message(db,
                       "INSERT INTO messages (conv, seq, client_id, sender_kind, sender_id, "
                       "sender_name, text, ts_ms) VALUES (?,?,?,?,?,?,?,?) "
                       "ON CONFLICT (sender_id, client_id) DO NOTHING"),
        find_by_client_id(db,
                          "SELECT id, conv, seq, client_id, sender_kind, sender_id, sender_name, "
                          "text, ts_ms FROM messages WHERE sender_id = ? AND client_id = ?"),
        // The row is the record; the index guards against a row that fell behind (appends to
        // a conversation that had no row yet), which would otherwise repeat a seq forever.
        load_last_seq(db,
                      "SELECT MAX(COALESCE((SELECT last_seq FROM conversations WHERE id = ?1), 0),"
                      " COALESCE((SELECT MAX(seq) FROM messages WHERE conv = ?1), 0))"),
        set_last_seq(db, "UPDATE conversations SET last_seq = ? WHERE id = ?"),
        upsert_conversation(
            db,
            // A new row starts from its messages' last seq, in case messages came first.
            "INSERT INTO conversations (id, site, visitor_id, state, agent_id, team, last_seq, "
            "created_ms, updated_ms) VALUES (?1,?2,?3,?4,?5,?6,"
            "(SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv = ?1),?7,?8) "
            "ON CONFLICT (id) DO UPDATE SET "
            "site = excluded.site, visitor_id = excluded.visitor_id, state = excluded.state, "
            "agent_id = excluded.agent_id, team = excluded.team, updated_ms = excluded.updated_ms"),
        upsert_visitor(db,
                       "INSERT INTO visitors (id, site, name, email, lang, page, referrer, "
                       "created_ms, last_seen_ms) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO "
                       "UPDATE SET name = excluded.name, email = excluded.email, lang = "
                       "excluded.lang, page = excluded.page, referrer = excluded.referrer, "
                       "last_seen_ms = excluded.last_seen_ms"),
        upsert_read_mark(db,
                         "INSERT INTO read_marks (conv, reader_id, seq) VALUES (?,?,?) ON "
                         "CONFLICT (conv, reader_id) DO UPDATE SET seq = MAX(seq, excluded.seq)"),
        insert_ai_usage(db,
                        "INSERT INTO ai_usage (conv, site, kind, prompt_tokens, completion_tokens, "
                        "estimated, ts_ms) VALUES (?,?,?,?,?,?,?)") {}

  bool ok() const {
    return insert_message.ok() && find_by_client_id.ok() && load_last_seq.ok() &&
           set_last_seq.ok() && upsert_conversation.ok() && upsert_visitor.ok() &&
           upsert_read_mark.ok() && insert_ai_usage.ok();
  }

  stmt insert_message, find_by_client_id, load_last_seq, set_last_seq, upsert_conversation,
      upsert_visitor, upsert_read_mark, insert_ai_usage;
};

void sqlite_store::writer_statements_deleter::operator()(writer_statements* p) const { delete p; }

std::unique_ptr<sqlite_store::writer_statements, sqlite_store::writer_statements_deleter>
sqlite_store::make_writer_statements(sqlite3* db) {
  return std::unique_ptr<writer_statements, writer_statements_deleter>(new writer_statements(db));
}

namespace {

/** Steps a cached statement once and resets it, so it holds no lock or snapshot afterwards. */
bool run_once(stmt& s) {
  int rc = s.step();
  s.reset();
  return rc == SQLITE_DONE;
}

}  // namespace

sqlite_store::seq_map::value_type* sqlite_store::seq_entry(const std::string& conv) {
  auto it = seqs_.find(conv);
  if (it != seqs_.end()) return &*it;
  auto& s = ws_->load_last_seq;
  s.bind(1, conv);
  bool found = s.step() == SQLITE_ROW;
  std::uint64_t last = found ? static_cast<std::uint64_t>(s.integer(0)) : 0;
  s.reset();
  if (!found) return nullptr;
  return &*seqs_.emplace(conv, seq_slot{last, false}).first;
}

bool sqlite_store::append(append_message& a, write_result& result) {
  message& m = a.msg;
  auto* entry = seq_entry(m.conv);
  if (!entry) return false;
  seq_slot& slot = entry->second;
  std::uint64_t seq = slot.last + 1;
  auto& ins = ws_->insert_message;
  ins.bind(1, m.conv).bind(2, static_cast<std::int64_t>(seq));
  // NULL, not '', for messages without a key: NULLs are distinct in the unique index, so bot
  // and system messages are never taken for resends.
  if (m.client_id.empty())
    ins.bind_null(3);
  else
    ins.bind(3, m.client_id);
  ins.bind(4, m.sender_kind).bind(5, m.sender_id).bind(6, m.sender_name).bind(7, m.text);
  ins.bind(8, m.ts_ms);
  if (!run_once(ins)) return false;
  if (sqlite3_changes(writer_db_) == 0) {
    // Same (sender, client id) as an earlier message, committed or earlier in this batch:
    // answer with that one, store nothing, consume no seq.
    auto& f = ws_->find_by_client_id;
    f.bind(1, m.sender_id).bind(2, m.client_id);
    bool found = f.step() == SQLITE_ROW;
    if (found) {
      result.msg = read_message(f);
      result.duplicate = true;
    }
    f.reset();
    return found;
  }
  m.seq = seq;
  m.id = sqlite3_last_insert_rowid(writer_db_);
  slot.last = seq;
  if (!slot.touched) {
    slot.touched = true;
    touched_.push_back(entry);  // nodes of an unordered_map keep their address
  }
  result.msg = std::move(m);
  return true;
}

bool sqlite_store::apply_one(write_queue::pending& p) {
  if (auto* a = std::get_if<append_message>(&p.op)) return append(*a, p.result);
  if (auto* c = std::get_if<put_conversation>(&p.op)) {
    const conversation& r = c->conv;
    auto& s = ws_->upsert_conversation;
    s.bind(1, r.id).bind(2, r.site).bind(3, r.visitor_id).bind(4, r.state).bind(5, r.agent_id);
    s.bind(6, r.team).bind(7, r.created_ms).bind(8, r.updated_ms);
    if (!run_once(s)) return false;
    // A closed conversation takes no more messages: drop its cache entry so the cache holds
    // the live conversations, not every one since start. Not while the batch still needs it.
    if (r.state == "closed") {
      auto it = seqs_.find(r.id);
      if (it != seqs_.end() && !it->second.touched) seqs_.erase(it);
    }
    return true;
  }
  if (auto* v = std::get_if<put_visitor>(&p.op)) {
    const visitor& r = v->v;
    auto& s = ws_->upsert_visitor;
    s.bind(1, r.id).bind(2, r.site).bind(3, r.name).bind(4, r.email).bind(5, r.lang);
    s.bind(6, r.page).bind(7, r.referrer).bind(8, r.created_ms).bind(9, r.last_seen_ms);
    return run_once(s);
  }
  if (auto* m = std::get_if<put_read_mark>(&p.op)) {
    auto& s = ws_->upsert_read_mark;
    s.bind(1, m->mark.conv).bind(2, m->mark.reader_id);
    s.bind(3, static_cast<std::int64_t>(m->mark.seq));
    return run_once(s);
  }
  if (auto* u = std::get_if<record_ai_usage>(&p.op)) {
    const ai_usage_record& r = u->usage;
    auto& s = ws_->insert_ai_usage;
    s.bind(1, r.conv).bind(2, r.site).bind(3, r.kind);
    s.bind(4, static_cast<std::int64_t>(r.prompt_tokens));
    s.bind(5, static_cast<std::int64_t>(r.completion_tokens));
    s.bind(6, std::int64_t(r.estimated ? 1 : 0)).bind(7, r.ts_ms);
    return run_once(s);
  }
  return false;
}

bool sqlite_store::flush_last_seqs() {
  // Once per conversation per batch, not once per message: under load a batch carries many
  // messages of the same conversation.
  auto& s = ws_->set_last_seq;
  for (auto* e : touched_) {
    s.bind(1, static_cast<std::int64_t>(e->second.last)).bind(2, e->first);
    if (!run_once(s)) return false;
  }
  return true;
}

bool sqlite_store::apply(std::vector<write_queue::pending>& batch) {
  auto started = std::chrono::steady_clock::now();
  bool ok = ws_ && ws_->ok() && exec(writer_db_, "BEGIN IMMEDIATE");
  for (std::size_t i = 0; ok && i < batch.size(); i++) ok = apply_one(batch[i]);
  ok = ok && flush_last_seqs();
  batch_no_++;
  if (ok && fault_ && fault_(batch_no_)) ok = false;
  ok = ok && exec(writer_db_, "COMMIT");
  if (ok) {
    for (auto* e : touched_) e->second.touched = false;
  } else {
    fail_batch(batch);
  }
  touched_.clear();
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
  queue_->note_commit(took.count());
  if (ok && failed_batches_ > 0) {
    util::log(util::log_level::info, "store writes recovered",
              {{"path", opts_.path}, {"failed_batches", std::to_string(failed_batches_)}});
    failed_batches_ = 0;
  }
  return ok;
}

void sqlite_store::fail_batch(std::vector<write_queue::pending>& batch) {
  std::string cause = writer_db_ ? sqlite3_errmsg(writer_db_) : "closed";
  // SQLite may have rolled back already (e.g. on a full disk); only roll back what is open.
  if (writer_db_ && !sqlite3_get_autocommit(writer_db_)) exec(writer_db_, "ROLLBACK");
  // The seqs this batch handed out were never stored: forget them, so the next append reads
  // the stored last seq again and the seqs stay without a gap.
  for (auto* e : touched_) seqs_.erase(seqs_.find(e->first));
  for (auto& p : batch) {
    p.result = write_result{};
    p.result.st = status::unavailable;
  }
  // Logged when writes start failing, not once per batch while the disk stays bad.
  if (failed_batches_++ == 0)
    util::log(
        util::log_level::error, "store writes failing",
        {{"path", opts_.path}, {"cause", cause}, {"batch_size", std::to_string(batch.size())}});
}

}  // namespace sb::store::sqlite
