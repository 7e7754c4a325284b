// Shared store helpers.
#include "store/store.h"

namespace sb::store {

const char* to_string(status s) {
  switch (s) {
    case status::ok:
      return "ok";
    case status::not_found:
      return "not_found";
    case status::unavailable:
      return "unavailable";
    case status::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace sb::store
