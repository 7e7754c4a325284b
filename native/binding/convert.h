// Conversions between JS objects and the core's records, and JS errors with stable codes.
#pragma once

#include <string>

#include <napi.h>

#include "store/records.h"

namespace sb::binding {

/** A JS Error with `code` set (e.g. "SB_CONFIG_INVALID"). */
Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message);

std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback = "");
double get_number(const Napi::Object& o, const char* key, double fallback);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
std::vector<std::string> get_strings(const Napi::Object& o, const char* key);

store::agent to_agent(const Napi::Object& o);
Napi::Object from_agent(Napi::Env env, const store::agent& a);
store::site to_site(const Napi::Object& o);
/** The site's `ai.apiKey`, if any, comes out as "(set)". */
Napi::Object from_site(Napi::Env env, const store::site& s);
Napi::Object from_ai_usage(Napi::Env env, const store::ai_usage_totals& t);

}  // namespace sb::binding
