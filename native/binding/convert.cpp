// JS <-> record conversions. Input was validated by the JS layer; this only copies.
#include "binding/convert.h"

namespace sb::binding {

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  auto e = Napi::Error::New(env, code + ": " + message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback) {
  auto v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

double get_number(const Napi::Object& o, const char* key, double fallback) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

bool get_bool(const Napi::Object& o, const char* key, bool fallback) {
  auto v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

std::vector<std::string> get_strings(const Napi::Object& o, const char* key) {
  std::vector<std::string> out;
  auto v = o.Get(key);
  if (!v.IsArray()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    auto e = a.Get(i);
    if (e.IsString()) out.push_back(e.As<Napi::String>().Utf8Value());
  }
  return out;
}

namespace {

std::string stringify(Napi::Env env, Napi::Value v) {
  auto json = env.Global().Get("JSON").As<Napi::Object>();
  auto text = json.Get("stringify").As<Napi::Function>().Call(json, {v});
  return text.IsString() ? text.As<Napi::String>().Utf8Value() : "{}";
}

Napi::Value parse(Napi::Env env, const std::string& text) {
  auto json = env.Global().Get("JSON").As<Napi::Object>();
  return json.Get("parse").As<Napi::Function>().Call(json, {Napi::String::New(env, text)});
}

Napi::Array to_array(Napi::Env env, const std::vector<std::string>& v) {
  auto a = Napi::Array::New(env, v.size());
  for (uint32_t i = 0; i < v.size(); i++) a.Set(i, v[i]);
  return a;
}
}  // namespace

store::agent to_agent(const Napi::Object& o) {
  store::agent a;
  a.id = get_string(o, "id");
  a.email = get_string(o, "email");
  a.name = get_string(o, "name");
  a.password_hash = get_string(o, "passwordHash");
  a.role = get_string(o, "role", "agent");
  a.max_chats = static_cast<int>(get_number(o, "maxChats", 5));
  a.sites = get_strings(o, "sites");
  a.teams = get_strings(o, "teams");
  a.created_ms = static_cast<std::int64_t>(get_number(o, "createdAt", 0));
  return a;
}

Napi::Object from_agent(Napi::Env env, const store::agent& a) {
  auto o = Napi::Object::New(env);
  o.Set("id", a.id);
  o.Set("email", a.email);
  o.Set("name", a.name);
  o.Set("passwordHash", a.password_hash);
  o.Set("role", a.role);
  o.Set("maxChats", a.max_chats);
  o.Set("sites", to_array(env, a.sites));
  o.Set("teams", to_array(env, a.teams));
  o.Set("createdAt", Napi::Number::New(env, static_cast<double>(a.created_ms)));
  return o;
}

store::site to_site(const Napi::Object& o) {
  store::site s;
  s.key = get_string(o, "key");
  s.name = get_string(o, "name", s.key);
  s.enabled = get_bool(o, "enabled", true);
  s.allowed_origins = get_strings(o, "allowedOrigins");
  s.settings_json = get_string(o, "settingsJson", "{}");
  auto settings = o.Get("settings");
  if (settings.IsObject()) s.settings_json = stringify(o.Env(), settings);
  auto ai = o.Get("ai");
  if (ai.IsObject()) s.ai_json = stringify(o.Env(), ai);
  auto limits = o.Get("rateLimits");
  if (limits.IsObject()) s.rate_limits_json = stringify(o.Env(), limits);
  s.created_ms = static_cast<std::int64_t>(get_number(o, "createdAt", 0));
  return s;
}

Napi::Object from_site(Napi::Env env, const store::site& s) {
  auto o = Napi::Object::New(env);
  o.Set("key", s.key);
  o.Set("name", s.name);
  o.Set("enabled", s.enabled);
  o.Set("allowedOrigins", to_array(env, s.allowed_origins));
  o.Set("settings", parse(env, s.settings_json));
  // The site's own AI key stays inside: callers see whether one is set, never the key.
  auto ai = parse(env, s.ai_json);
  if (ai.IsObject()) {
    auto a = ai.As<Napi::Object>();
    if (a.Has("apiKey")) a.Set("apiKey", "(set)");
  }
  o.Set("ai", ai);
  o.Set("rateLimits", parse(env, s.rate_limits_json));
  o.Set("createdAt", Napi::Number::New(env, static_cast<double>(s.created_ms)));
  return o;
}

Napi::Object from_ai_usage(Napi::Env env, const store::ai_usage_totals& t) {
  auto o = Napi::Object::New(env);
  o.Set("requests", Napi::Number::New(env, static_cast<double>(t.requests)));
  o.Set("promptTokens", Napi::Number::New(env, static_cast<double>(t.prompt_tokens)));
  o.Set("completionTokens", Napi::Number::New(env, static_cast<double>(t.completion_tokens)));
  return o;
}

}  // namespace sb::binding
