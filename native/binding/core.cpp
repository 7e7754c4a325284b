// The Core class: configuration, start/stop, admin calls and stats for JS.
#include "binding/core.h"

#include <sys/stat.h>
#include <functional>

#include "binding/convert.h"
#include "util/log.h"

namespace sb::binding {

namespace {

/** Runs `work` on the libuv pool and settles a Promise with `result` or an error code. */
class task final : public Napi::AsyncWorker {
 public:
  using work_fn = std::function<store::status()>;
  using result_fn = std::function<Napi::Value(Napi::Env)>;

  task(Napi::Env env, work_fn work, result_fn result)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        result_(std::move(result)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override { status_ = work_(); }
  void OnOK() override {
    auto env = Env();
    if (status_ == store::status::ok)
      deferred_.Resolve(result_ ? result_(env) : env.Undefined());
    else if (status_ == store::status::not_found)
      deferred_.Resolve(env.Null());
    else
      deferred_.Reject(make_error(env, "SB_STORE_UNAVAILABLE",
                                  std::string("the store failed: ") + store::to_string(status_))
                           .Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  work_fn work_;
  result_fn result_;
  store::status status_ = store::status::ok;
};

Napi::Value queue(Napi::Env env, task::work_fn work, task::result_fn result = nullptr) {
  auto* t = new task(env, std::move(work), std::move(result));  // deletes itself when done
  auto p = t->promise();
  t->Queue();
  return p;
}

util::log_level parse_level(const std::string& s) {
  if (s == "debug") return util::log_level::debug;
  if (s == "warn") return util::log_level::warn;
  if (s == "error") return util::log_level::error;
  return util::log_level::info;
}

}  // namespace

Napi::Function core::define(Napi::Env env) {
  return DefineClass(env, "Core",
                     {
                         InstanceMethod<&core::start>("start"),
                         InstanceMethod<&core::stop>("stop"),
                         InstanceMethod<&core::stats>("stats"),
                         InstanceMethod<&core::respond>("respond"),
                         InstanceMethod<&core::set_event_mask>("setEventMask"),
                         InstanceMethod<&core::put_agent>("putAgent"),
                         InstanceMethod<&core::get_agent>("getAgent"),
                         InstanceMethod<&core::get_agent_by_email>("getAgentByEmail"),
                         InstanceMethod<&core::list_agents>("listAgents"),
                         InstanceMethod<&core::put_site>("putSite"),
                         InstanceMethod<&core::list_sites>("listSites"),
                         InstanceMethod<&core::sign_agent_token>("signAgentToken"),
                         InstanceMethod<&core::verify_agent_token>("verifyAgentToken"),
                         InstanceMethod<&core::check_login>("checkLogin"),
                         InstanceMethod<&core::ai_usage>("aiUsage"),
                     });
}

core::core(const Napi::CallbackInfo& info) : Napi::ObjectWrap<core>(info) {
  auto env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw make_error(env, "SB_CONFIG_INVALID",
                     "new Core(config, onBatch) needs an object and a function");
  auto cfg = info[0].As<Napi::Object>();
  auto& s = settings_;
  s.data_dir = get_string(cfg, "dataDir", "./data");
  auto store_cfg = cfg.Get("store");
  if (store_cfg.IsObject()) {
    s.driver = get_string(store_cfg.As<Napi::Object>(), "driver", "sqlite");
    s.synchronous_full =
        get_string(store_cfg.As<Napi::Object>(), "synchronous", "full") != "normal";
  }
  auto log_cfg = cfg.Get("log");
  if (log_cfg.IsObject()) s.log_level = get_string(log_cfg.As<Napi::Object>(), "level", "info");
  s.ai_json = get_string(cfg, "aiJson", "");
  s.rate_limits_json = get_string(cfg, "rateLimitsJson", "");
  auto& o = s.server;
  o.host = get_string(cfg, "host", "0.0.0.0");
  o.port = static_cast<std::uint16_t>(get_number(cfg, "port", 8080));
  o.io_threads = static_cast<unsigned>(get_number(cfg, "ioThreads", 0));
  o.web_root = get_string(cfg, "webRoot", "");
  auto limits = cfg.Get("limits");
  if (limits.IsObject()) {
    auto l = limits.As<Napi::Object>();
    o.max_frame_bytes = static_cast<std::size_t>(get_number(l, "maxFrameBytes", o.max_frame_bytes));
    o.max_text_bytes = static_cast<std::size_t>(get_number(l, "maxTextBytes", o.max_text_bytes));
    o.hello_timeout_ms =
        static_cast<std::int64_t>(get_number(l, "helloTimeoutMs", o.hello_timeout_ms));
    o.idle_timeout_ms =
        static_cast<std::int64_t>(get_number(l, "idleTimeoutMs", o.idle_timeout_ms));
    o.ping_interval_ms =
        static_cast<std::int64_t>(get_number(l, "pingIntervalMs", o.ping_interval_ms));
    o.outbound_queue_bytes =
        static_cast<std::size_t>(get_number(l, "outboundQueueBytes", o.outbound_queue_bytes));
    o.max_http_body_bytes =
        static_cast<std::size_t>(get_number(l, "maxHttpBodyBytes", o.max_http_body_bytes));
    o.max_http_header_bytes =
        static_cast<std::size_t>(get_number(l, "maxHttpHeaderBytes", o.max_http_header_bytes));
    o.shutdown_grace_ms =
        static_cast<std::int64_t>(get_number(l, "shutdownGraceMs", o.shutdown_grace_ms));
    auto& a = s.admission;
    a.table_keys = static_cast<std::size_t>(get_number(l, "rateTableKeys", a.table_keys));
    a.exempt_ips = get_strings(l, "rateExemptIps");
    a.flood_strikes = static_cast<int>(get_number(l, "floodStrikes", a.flood_strikes));
    a.flood_window_ms =
        static_cast<std::int64_t>(get_number(l, "floodWindowMs", a.flood_window_ms));
    a.max_io_lag_ms = static_cast<std::int64_t>(get_number(l, "maxIoLagMs", a.max_io_lag_ms));
    a.max_store_backlog =
        static_cast<std::uint64_t>(get_number(l, "maxStoreBacklog", a.max_store_backlog));
    a.max_memory_bytes = static_cast<std::uint64_t>(get_number(l, "maxMemoryMb", 0)) * 1024 * 1024;
  }
  bridge_ = std::make_unique<event_bridge>(env, info[1].As<Napi::Function>());
}

core::~core() { shutdown_now(); }

void core::shutdown_now() {
  if (server_) server_->stop();
  if (ai_) ai_->shutdown();
  if (store_) store_->close();
  util::set_log_sink(nullptr);
  server_.reset();
  hub_.reset();
  ai_.reset();
  registry_.reset();
  store_.reset();
}

void core::require_started(Napi::Env env) const {
  if (!started_ || stopping_)
    throw make_error(env, "SB_NOT_STARTED", "the server is not running; call start() first");
}

Napi::Value core::start(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto deferred = Napi::Promise::Deferred::New(env);
  auto fail = [&](const std::string& code, const std::string& msg) {
    shutdown_now();
    deferred.Reject(make_error(env, code, msg).Value());
    return deferred.Promise();
  };
  if (started_) return fail("SB_ALREADY_STARTED", "start() was already called");

  util::set_log_level(parse_level(settings_.log_level));
  event_bridge* bridge = bridge_.get();
  util::set_log_sink(
      [bridge](util::log_level l, const std::string& line) { bridge->log_line(l, line); });

  std::string error;
  if (settings_.driver == "memory") {
    store_ = store::open_memory_store();
  } else {
    ::mkdir(settings_.data_dir.c_str(), 0700);
    store::sqlite_options so;
    so.path = settings_.data_dir + "/switchboard.db";
    so.synchronous_full = settings_.synchronous_full;
    store_ = store::open_sqlite_store(so, error);
    if (!store_) return fail("SB_STORE_UNAVAILABLE", error);
  }
  registry_ = std::make_unique<hub::registry>();
  hub::hub_options ho;
  ho.ai_defaults_json = settings_.ai_json;
  ho.rate_limits_json = settings_.rate_limits_json;
  ho.admission = settings_.admission;
  hub_ = std::make_unique<hub::hub>(ho, *store_, *registry_, bridge);
  ai_ = std::make_unique<ai::client>();
  hub_->set_ai(ai_.get());
  if (hub_->start(error) != store::status::ok)
    return fail(error.rfind("rateLimits", 0) == 0 ? "SB_CONFIG_INVALID" : "SB_STORE_UNAVAILABLE",
                error);
  server_ = std::make_unique<transport::server>(settings_.server, *hub_, bridge);
  if (!server_->start(error)) return fail("SB_LISTEN_FAILED", error);
  started_ = true;
  bridge_->ref(env);
  auto result = Napi::Object::New(env);
  result.Set("port", server_->port());
  deferred.Resolve(result);
  return deferred.Promise();
}

Napi::Value core::stop(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!started_ || stopping_) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  stopping_ = true;
  if (info.Length() > 0 && info[0].IsNumber())
    settings_.server.shutdown_grace_ms = info[0].As<Napi::Number>().Int64Value();
  transport::server* srv = server_.get();
  store::store* st = store_.get();
  ai::client* ai = ai_.get();
  // Stopping waits for sockets, AI streams and the store's last commit: off the JS thread. The
  // bridge is released only when that is done, so that the last events still reach JS. Bot
  // replies that completed before the AI client stopped are still stored.
  return queue(
      env,
      [srv, st, ai] {
        srv->stop();
        ai->shutdown();
        st->close();
        return store::status::ok;
      },
      [this](Napi::Env e) {
        bridge_->unref(e);
        util::set_log_sink(nullptr);
        started_ = false;
        return e.Undefined();
      });
}

Napi::Value core::stats(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  if (!hub_) return o;
  auto h = hub_->stats();
  auto n = [&](std::uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  o.Set("connections", n(h.connections));
  o.Set("visitorsConnected", n(h.visitors_connected));
  o.Set("agentsConnected", n(h.agents_connected));
  o.Set("conversationsOpen", n(h.conversations_open));
  o.Set("queued", n(h.queued));
  o.Set("messagesAcked", n(h.messages_acked));
  o.Set("messagesFailed", n(h.messages_failed));
  auto bot = Napi::Object::New(env);
  bot.Set("streams", n(h.bot_streams));
  bot.Set("replies", n(h.bot_replies));
  bot.Set("failures", n(h.bot_failures));
  bot.Set("handoffs", n(h.bot_handoffs));
  bot.Set("assistRequests", n(h.assist_requests));
  if (ai_) {
    auto a = ai_->stats();
    bot.Set("upstreamActive", n(a.active));
    bot.Set("upstreamStarted", n(a.started));
    bot.Set("upstreamCompleted", n(a.completed));
    bot.Set("upstreamFailed", n(a.failed));
    bot.Set("upstreamCancelled", n(a.cancelled));
    bot.Set("upstreamRetries", n(a.retries));
    bot.Set("promptTokens", n(a.prompt_tokens));
    bot.Set("completionTokens", n(a.completion_tokens));
    bot.Set("lastError", a.last_error);
    auto ups = Napi::Array::New(env, a.upstreams.size());
    for (std::uint32_t i = 0; i < a.upstreams.size(); i++) {
      const auto& g = a.upstreams[i];
      auto u = Napi::Object::New(env);
      u.Set("upstream", g.upstream);
      u.Set("limit", g.limit);
      u.Set("inFlight", g.in_flight);
      u.Set("queued", n(g.queued));
      u.Set("baselineMs", g.baseline_ms);
      u.Set("rejectProbability", g.reject_probability);
      u.Set("admitted", n(g.admitted));
      u.Set("shed", n(g.shed));
      u.Set("overloads", n(g.overloads));
      u.Set("maxInFlight", n(g.max_in_flight));
      ups.Set(i, u);
    }
    bot.Set("upstreams", ups);
  }
  o.Set("ai", bot);
  auto adm = hub_->admit().stats();
  auto lim = Napi::Object::New(env);
  auto refused = Napi::Object::New(env);
  for (std::size_t i = 0; i < hub::action_count; i++)
    refused.Set(hub::to_string(static_cast<hub::action>(i)), n(adm.refused[i]));
  lim.Set("refused", refused);
  lim.Set("floodCloses", n(adm.flood_closes));
  lim.Set("saturatedRefusals", n(adm.saturated_refusals));
  lim.Set("saturated", adm.saturated);
  lim.Set("ioLagMs", n(static_cast<std::uint64_t>(adm.io_lag_ms)));
  lim.Set("memoryBytes", n(adm.memory_bytes));
  lim.Set("keys", n(adm.keys));
  lim.Set("keyCapacity", n(adm.key_capacity));
  lim.Set("tableBytes", n(adm.table_bytes));
  lim.Set("evictions", n(adm.evictions));
  o.Set("limits", lim);
  if (server_) o.Set("websockets", n(server_->websocket_count()));
  if (store_) {
    auto s = store_->stats();
    auto so = Napi::Object::New(env);
    so.Set("writesQueued", n(s.writes_queued));
    so.Set("writesTotal", n(s.writes_total));
    so.Set("batchesTotal", n(s.batches_total));
    so.Set("lastBatchSize", n(s.last_batch_size));
    so.Set("maxBatchSize", n(s.max_batch_size));
    so.Set("lastCommitMs", Napi::Number::New(env, s.last_commit_ms));
    o.Set("store", so);
  }
  return o;
}

Napi::Value core::respond(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!server_) return env.Undefined();
  auto id = static_cast<std::uint64_t>(info[0].As<Napi::Number>().Int64Value());
  auto status = info[1].As<Napi::Number>().Uint32Value();
  transport::header_list headers;
  if (info[2].IsObject()) {
    auto h = info[2].As<Napi::Object>();
    auto names = h.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      auto k = names.Get(i).ToString().Utf8Value();
      headers.emplace_back(k, h.Get(k).ToString().Utf8Value());
    }
  }
  std::string body;
  if (info[3].IsBuffer()) {
    auto b = info[3].As<Napi::Buffer<char>>();
    body.assign(b.Data(), b.Length());
  } else if (info[3].IsString()) {
    body = info[3].As<Napi::String>().Utf8Value();
  }
  server_->respond(id, status, std::move(headers), std::move(body));
  return env.Undefined();
}

Napi::Value core::set_event_mask(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsObject())
    bridge_->set_messages(get_bool(info[0].As<Napi::Object>(), "messages", false));
  return info.Env().Undefined();
}

Napi::Value core::put_agent(const Napi::CallbackInfo& info) {
  require_started(info.Env());
  auto a = std::make_shared<store::agent>(to_agent(info[0].As<Napi::Object>()));
  hub::hub* h = hub_.get();
  return queue(info.Env(), [h, a] { return h->put_agent(*a); });
}

Napi::Value core::get_agent(const Napi::CallbackInfo& info) {
  require_started(info.Env());
  auto id = info[0].As<Napi::String>().Utf8Value();
  auto a = std::make_shared<store::agent>();
  store::store* st = store_.get();
  return queue(
      info.Env(), [st, id, a] { return st->get_agent(id, *a); },
      [a](Napi::Env e) { return from_agent(e, *a); });
}

Napi::Value core::get_agent_by_email(const Napi::CallbackInfo& info) {
  require_started(info.Env());
  auto email = info[0].As<Napi::String>().Utf8Value();
  auto a = std::make_shared<store::agent>();
  store::store* st = store_.get();
  return queue(
      info.Env(), [st, email, a] { return st->find_agent_by_email(email, *a); },
      [a](Napi::Env e) { return from_agent(e, *a); });
}

Napi::Value core::list_agents(const Napi::CallbackInfo& info) {
  require_started(info.Env());
  auto list = std::make_shared<std::vector<store::agent>>();
  store::store* st = store_.get();
  return queue(
      info.Env(), [st, list] { return st->list_agents(*list); },
      [list](Napi::Env e) {
        auto arr = Napi::Array::New(e, list->size());
        for (uint32_t i = 0; i < list->size(); i++) arr.Set(i, from_agent(e, (*list)[i]));
        return arr;
      });
}

Napi::Value core::put_site(const Napi::CallbackInfo& info) {
  require_started(info.Env());
  auto s = std::make_shared<store::site>(to_site(info[0].As<Napi::Object>()));
  hub::hub* h = hub_.get();
  return queue(info.Env(), [h, s] { return h->put_site(*s); });
}

Napi::Value core::list_sites(const Napi::CallbackInfo& info) {
  require_started(info.Env());
  auto list = std::make_shared<std::vector<store::site>>();
  store::store* st = store_.get();
  return queue(
      info.Env(), [st, list] { return st->list_sites(*list); },
      [list](Napi::Env e) {
        auto arr = Napi::Array::New(e, list->size());
        for (uint32_t i = 0; i < list->size(); i++) arr.Set(i, from_site(e, (*list)[i]));
        return arr;
      });
}

Napi::Value core::sign_agent_token(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  require_started(env);
  auto id = info[0].As<Napi::String>().Utf8Value();
  auto ttl =
      info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 43200;
  return Napi::String::New(env, hub_->sign_agent_token(id, ttl));
}

Napi::Value core::verify_agent_token(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  require_started(env);
  auto o = Napi::Object::New(env);
  std::string agent_id;
  auto token =
      info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  auto err = hub_->verify_agent_token(token, agent_id);
  if (err == hub::token_error::none)
    o.Set("agentId", agent_id);
  else
    o.Set("error", hub::to_string(err));
  return o;
}

Napi::Value core::check_login(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  require_started(env);
  auto remote =
      info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  auto account =
      info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  auto d = hub_->check_login(remote, account);
  auto o = Napi::Object::New(env);
  o.Set("allowed", d.allowed);
  o.Set("retryAfterMs", Napi::Number::New(env, static_cast<double>(d.retry_after_ms)));
  return o;
}

Napi::Value core::ai_usage(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  require_started(env);
  auto site = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  auto conv = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  auto totals = std::make_shared<store::ai_usage_totals>();
  store::store* st = store_.get();
  return queue(
      env, [st, site, conv, totals] { return st->ai_usage(site, conv, *totals); },
      [totals](Napi::Env e) { return from_ai_usage(e, *totals); });
}

}  // namespace sb::binding
