#include "model/numerics/rounding.h"

namespace nibble::num {

const char* rounding_name(Rounding r) {
  switch (r) {
    case Rounding::kNearestEven:
      return "rne";
    case Rounding::kStochastic:
      return "stochastic";
  }
  return "?";
}

double round_to_integer(double v, Rounding mode, Rng* rng) {
  return round_to_integer_with(v, mode, draw_for(mode, rng));
}

}  // namespace nibble::num
