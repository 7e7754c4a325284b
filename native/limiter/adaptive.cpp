// adaptive_limit: a concurrency limit that moves, each round trip, half way toward the in-flight
// count that Little's law says would bring latency to target = tolerance x baseline:
//
//   gradient = clamp(target / smoothed_latency, 0.25, 2)
//   per success:   limit += 0.5 x (gradient - 1) x limit / in_flight    (grows only if in use)
//   per overload:  limit *= backoff, at most once per round trip (the baseline latency)
//
// A round trip brings about `in_flight` successes, so the per-success steps add up to
// limit x (1 + 0.5 x (gradient - 1)) per round trip: x1.2-1.25 while latency sits near the
// baseline (a new capacity is found in a few round trips), nothing at the target, a cut of
// up to x0.625 past it. Half steps, because the latency seen lags the load by a round trip: in
// the simulation (tests/native/limiter/upstream_sim.h) whole steps swung between 0.7 and 1.0 x
// capacity on a sharp knee; half steps settle within 2%.
// The baseline is the lowest latency in baseline_window_ms (a monotonic min-queue); when no
// sample has come near it for half that window, a probe cuts to limit x baseline / latency once
// to re-measure it, or sustained load would raise the "baseline" and the limit would run away.
//
// adaptive_throttle: Google SRE client-side throttling over time buckets.
#include "limiter/adaptive.h"

#include <algorithm>
#include <cmath>

namespace sb::limiter {
namespace {

// The share of the gradient's step taken per round trip.
constexpr double kGain = 0.5;
// The gradient's range: with kGain, at most x0.625 down or x1.5 up per round trip.
constexpr double kMinGradient = 0.25;
constexpr double kMaxGradient = 2.0;
// A sample within this factor of the baseline confirms it; a probe needs latency this near
// the target (gradient at least kProbeGradient).
constexpr double kNearBaseline = 1.1;
constexpr double kProbeGradient = 0.8;
// The round trip used to group overload signals before any latency is known.
constexpr double kDefaultRttMs = 100;

}  // namespace

adaptive_limit::adaptive_limit(adaptive_options o) : o_(o), limit_(o.initial_limit) {
  o_.min_limit = std::max(o_.min_limit, 1.0);  // at 0 nothing is sent and nothing measured again
  o_.max_limit = std::max(o_.max_limit, o_.min_limit);
  limit_ = std::clamp(limit_, o_.min_limit, o_.max_limit);
}

bool adaptive_limit::try_acquire() {
  if (in_flight_ >= limit()) return false;
  in_flight_++;
  return true;
}

int adaptive_limit::limit() const {
  return static_cast<int>(std::max(std::floor(limit_), o_.min_limit));
}

double adaptive_limit::baseline_ms() const {
  return window_.empty() ? 0 : window_.front().latency_ms;
}

void adaptive_limit::on_success(std::int64_t latency_ms, std::int64_t now_ms) {
  // In flight when this answer came, itself included: the load the latency was measured under.
  const int load = in_flight_;
  if (in_flight_ > 0) in_flight_--;
  const double lat = static_cast<double>(std::max<std::int64_t>(latency_ms, 1));

  while (!window_.empty() && window_.front().at_ms <= now_ms - o_.baseline_window_ms) {
    window_.pop_front();
  }
  while (!window_.empty() && window_.back().latency_ms >= lat) window_.pop_back();
  window_.push_back({now_ms, lat});
  smoothed_latency_ =
      smoothed_latency_ > 0 ? smoothed_latency_ + o_.smoothing * (lat - smoothed_latency_) : lat;
  const double baseline = window_.front().latency_ms;

  const double gradient =
      std::clamp(o_.tolerance * baseline / smoothed_latency_, kMinGradient, kMaxGradient);

  // Probe: re-measure a baseline that no recent sample has come near, by cutting toward the
  // in-flight count Little's law gives for baseline latency. Without it, sustained load fills
  // the window with loaded samples, the "baseline" rises with them and the limit runs away.
  // Only near equilibrium: far above target the gradient is already cutting.
  const std::int64_t half = o_.baseline_window_ms / 2;
  if (half > 0 && gradient >= kProbeGradient &&
      (last_cut_ms_ < 0 || now_ms - last_cut_ms_ >= half || now_ms < last_cut_ms_)) {
    std::int64_t confirmed = window_.front().at_ms;
    for (const auto& s : window_) {
      if (s.latency_ms > baseline * kNearBaseline) break;
      confirmed = s.at_ms;
    }
    if (now_ms - confirmed >= half) {
      last_cut_ms_ = now_ms;
      limit_ *= std::max(0.5, baseline / smoothed_latency_);
      limit_ = std::clamp(limit_, o_.min_limit, o_.max_limit);
      return;
    }
  }

  // A round trip brings about `load` answers: the round trip's move is spread over them.
  double step = kGain * (gradient - 1) * std::clamp(limit_ / std::max(load, 1), 0.5, 2.0);
  // An app-limited caller (using under half the limit) says nothing about a higher limit.
  if (step > 0 && load < limit_ / 2) step = 0;
  limit_ = std::clamp(limit_ + step, o_.min_limit, o_.max_limit);
}

void adaptive_limit::on_overload(std::int64_t now_ms) {
  if (in_flight_ > 0) in_flight_--;
  // The shortest round trip: overload answers come fast, and a later one is a new round.
  const double rtt = !window_.empty()        ? window_.front().latency_ms
                     : smoothed_latency_ > 0 ? smoothed_latency_
                                             : kDefaultRttMs;
  if (last_cut_ms_ >= 0 && now_ms >= last_cut_ms_ &&
      static_cast<double>(now_ms - last_cut_ms_) < rtt) {
    return;
  }
  last_cut_ms_ = now_ms;
  limit_ = std::clamp(limit_ * o_.backoff, o_.min_limit, o_.max_limit);
}

void adaptive_limit::on_ignore() {
  if (in_flight_ > 0) in_flight_--;
}

// ---- adaptive_throttle ----
//
// `requests` counts requests sent (record()), not attempts refused here. The SRE book counts
// both; then after an outage the share let through only grows about k-fold per window (from
// ~1/requests: many windows, minutes, before it is back). Counted this way the history of the
// outage is outweighed by the first accepts and gone after one window; the price is that in a
// partial outage about sqrt(k x accepted x offered) is sent rather than k x accepted.

adaptive_throttle::adaptive_throttle(throttle_options o) : o_(o) {
  o_.bucket_ms = std::max<std::int64_t>(o_.bucket_ms, 1);
  o_.window_ms = std::max(o_.window_ms, o_.bucket_ms);
}

void adaptive_throttle::roll(std::int64_t now_ms) {
  while (!buckets_.empty() && buckets_.front().start_ms <= now_ms - o_.window_ms) {
    requests_ -= buckets_.front().requests;
    accepts_ -= buckets_.front().accepts;
    buckets_.pop_front();
  }
  std::int64_t start = now_ms - ((now_ms % o_.bucket_ms) + o_.bucket_ms) % o_.bucket_ms;
  // A clock that went back keeps counting into the newest bucket.
  if (buckets_.empty() || start > buckets_.back().start_ms) buckets_.push_back({start, 0, 0});
}

double adaptive_throttle::reject_probability(std::int64_t now_ms) {
  roll(now_ms);
  double r = static_cast<double>(requests_);
  double p = (r - o_.k * static_cast<double>(accepts_)) / (r + 1);
  return std::max(0.0, p);
}

bool adaptive_throttle::should_reject(double random01, std::int64_t now_ms) {
  return random01 < reject_probability(now_ms);
}

void adaptive_throttle::record(bool accepted, std::int64_t now_ms) {
  roll(now_ms);
  buckets_.back().requests++;
  requests_++;
  if (accepted) {
    buckets_.back().accepts++;
    accepts_++;
  }
}

}  // namespace sb::limiter
