// The SQLite writer: applies a batch of writes in one transaction (group commit), assigning
// per-conversation seqs and honouring idempotency keys; on failure nothing of the batch stays.
#include <chrono>

#include "store/sqlite/sqlite_store.h"

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
        max_seq(db, "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv = ?"),
        upsert_conversation(
            db,
            "INSERT INTO conversations (id, site, visitor_id, state, agent_id, team, "
            "created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
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
                         "CONFLICT (conv, reader_id) DO UPDATE SET seq = MAX(seq, excluded.seq)") {}

  bool ok() const {
    return insert_message.ok() && find_by_client_id.ok() && max_seq.ok() &&
           upsert_conversation.ok() && upsert_visitor.ok() && upsert_read_mark.ok();
  }

  stmt insert_message, find_by_client_id, max_seq, upsert_conversation, upsert_visitor,
      upsert_read_mark;
};

void sqlite_store::writer_statements_deleter::operator()(writer_statements* p) const { delete p; }

std::unique_ptr<sqlite_store::writer_statements, sqlite_store::writer_statements_deleter>
sqlite_store::make_writer_statements(sqlite3* db) {
  return std::unique_ptr<writer_statements, writer_statements_deleter>(new writer_statements(db));
}

std::uint64_t sqlite_store::last_seq_of(const std::string& conv) {
  auto it = last_seq_.find(conv);
  if (it != last_seq_.end()) return it->second;
  auto& s = ws_->max_seq;
  s.reset();
  s.bind(1, conv);
  std::uint64_t last = s.step() == SQLITE_ROW ? static_cast<std::uint64_t>(s.integer(0)) : 0;
  s.reset();
  last_seq_[conv] = last;
  return last;
}

bool sqlite_store::apply_one(write_queue::pending& p, std::vector<std::string>& touched) {
  if (auto* a = std::get_if<append_message>(&p.op)) {
    message& m = a->msg;
    std::uint64_t seq = last_seq_of(m.conv) + 1;
    auto& ins = ws_->insert_message;
    ins.reset();
    ins.bind(1, m.conv).bind(2, static_cast<std::int64_t>(seq));
    if (m.client_id.empty())
      ins.bind_null(3);
    else
      ins.bind(3, m.client_id);
    ins.bind(4, m.sender_kind).bind(5, m.sender_id).bind(6, m.sender_name).bind(7, m.text);
    ins.bind(8, m.ts_ms);
    int rc = ins.step();
    ins.reset();
    if (rc != SQLITE_DONE) return false;
    if (sqlite3_changes(writer_db_) == 0) {
      // Same (sender, client id) as an earlier message: answer with that one, store nothing.
      auto& f = ws_->find_by_client_id;
      f.reset();
      f.bind(1, m.sender_id).bind(2, m.client_id);
      if (f.step() != SQLITE_ROW) {
        f.reset();
        return false;
      }
      message& out = p.result.msg;
      out.id = f.integer(0);
      out.conv = f.text(1);
      out.seq = static_cast<std::uint64_t>(f.integer(2));
      out.client_id = f.text(3);
      out.sender_kind = f.text(4);
      out.sender_id = f.text(5);
      out.sender_name = f.text(6);
      out.text = f.text(7);
      out.ts_ms = f.integer(8);
      f.reset();
      p.result.duplicate = true;
      return true;
    }
    m.seq = seq;
    m.id = sqlite3_last_insert_rowid(writer_db_);
    last_seq_[m.conv] = seq;
    touched.push_back(m.conv);
    p.result.msg = std::move(m);
    return true;
  }
  if (auto* c = std::get_if<put_conversation>(&p.op)) {
    const conversation& r = c->conv;
    auto& s = ws_->upsert_conversation;
    s.reset();
    s.bind(1, r.id).bind(2, r.site).bind(3, r.visitor_id).bind(4, r.state).bind(5, r.agent_id);
    s.bind(6, r.team).bind(7, r.created_ms).bind(8, r.updated_ms);
    int rc = s.step();
    s.reset();
    return rc == SQLITE_DONE;
  }
  if (auto* v = std::get_if<put_visitor>(&p.op)) {
    const visitor& r = v->v;
    auto& s = ws_->upsert_visitor;
    s.reset();
    s.bind(1, r.id).bind(2, r.site).bind(3, r.name).bind(4, r.email).bind(5, r.lang);
    s.bind(6, r.page).bind(7, r.referrer).bind(8, r.created_ms).bind(9, r.last_seen_ms);
    int rc = s.step();
    s.reset();
    return rc == SQLITE_DONE;
  }
  if (auto* m = std::get_if<put_read_mark>(&p.op)) {
    auto& s = ws_->upsert_read_mark;
    s.reset();
    s.bind(1, m->mark.conv)
        .bind(2, m->mark.reader_id)
        .bind(3, static_cast<std::int64_t>(m->mark.seq));
    int rc = s.step();
    s.reset();
    return rc == SQLITE_DONE;
  }
  return false;
}

void sqlite_store::apply(std::vector<write_queue::pending>& batch) {
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> touched;
  bool ok = ws_ && ws_->ok() && exec(writer_db_, "BEGIN IMMEDIATE");
  for (auto& p : batch) {
    if (!ok) break;
    ok = apply_one(p, touched);
  }
  batch_no_++;
  if (ok && fault_ && fault_(batch_no_)) ok = false;
  if (ok) ok = exec(writer_db_, "COMMIT");
  if (!ok) {
    exec(writer_db_, "ROLLBACK");
    // The seqs this batch assigned were never stored: forget them so they are reused.
    for (const auto& conv : touched) last_seq_.erase(conv);
    for (auto& p : batch) {
      p.result = write_result{};
      p.result.st = status::unavailable;
    }
  }
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
  queue_->note_commit(took.count());
}

}  // namespace sb::store::sqlite
