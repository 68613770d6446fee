#include "model/workload/training.h"

#include <set>
#include <stdexcept>

namespace nibble::workload {

namespace {

constexpr int64_t kMaxField = 2147483647;  // a trace's dimensions and repeat are int32

constexpr FormatSpec kInt4{num::Format::kInt4, 0};
constexpr FormatSpec kUint4{num::Format::kUint4, 0};
constexpr FormatSpec kFp4P0{num::Format::kFp4, 0};
constexpr FormatSpec kFp4P1{num::Format::kFp4, 1};
constexpr FormatSpec kE4m3{num::Format::kFp8E4M3, 0};
constexpr FormatSpec kE5m2{num::Format::kFp8E5M2, 0};
constexpr FormatSpec kFp16{num::Format::kFp16, 0};
constexpr FormatSpec kFp32{num::Format::kFp32, 0};

// Formats of one GEMM: A, B and the result.
struct Formats {
  FormatSpec a, b, out;
};

// The formats of a layer's GEMM in pass p under a recipe (docs/trace-format.md, "Precision
// recipes"). first_or_last: the layer is the workload's first or last.
Formats formats_of(const Layer& l, Pass p, Recipe recipe, bool first_or_last) {
  if (recipe == Recipe::kFp16) {
    return {kFp16, kFp16, kFp32};
  }
  if (recipe == Recipe::kSun2020 && first_or_last) {
    return {kFp16, kFp16, kFp16};
  }
  if (recipe == Recipe::kSun2020 && l.pointwise) {
    switch (p) {
      case Pass::kDgrad:
        return {kE5m2, kE4m3, kFp16};
      case Pass::kWgrad:
        return {kE4m3, kE5m2, kFp16};
      default:
        return {kE4m3, kE4m3, kFp16};
    }
  }
  const FormatSpec a = l.a_unsigned ? kUint4 : kInt4;
  const FormatSpec b = (l.b_weight || !l.b_unsigned) ? kInt4 : kUint4;
  switch (p) {
    case Pass::kDgrad:
      return {kFp4P0, b, kFp16};  // the gradient, TPR phase 0, times B
    case Pass::kWgrad:
      return {a, kFp4P1, kFp16};  // A times the gradient, TPR phase 1
    default:
      return {a, b, kFp16};
  }
}

// "file:line: layer 'name'", or "layer 'name'" for a layer not read from a file.
std::string layer_where(const Layer& l) {
  const std::string what = "layer '" + l.name + "'";
  return l.where.file.empty() ? what
                              : l.where.file + ":" + std::to_string(l.where.line) + ": " + what;
}

void check_field(const Layer& l, const char* what, int64_t value) {
  if (value < 1 || value > kMaxField) {
    throw std::invalid_argument(layer_where(l) + ": " + what + "=" + std::to_string(value) +
                                " is outside [1, " + std::to_string(kMaxField) +
                                "], the range of a trace's GEMM");
  }
}

GemmSpec gemm_of(const Layer& l, Pass p, Recipe recipe, bool first_or_last) {
  GemmSpec g;
  g.name = l.name + "." + pass_name(p);
  g.pass = p;
  g.repeat = l.repeat;
  switch (p) {
    case Pass::kDgrad:
      g.m = l.m, g.n = l.k, g.k = l.n;
      break;
    case Pass::kWgrad:
      g.m = l.k, g.n = l.n, g.k = l.m;
      break;
    default:
      g.m = l.m, g.n = l.n, g.k = l.k;
      g.conv = l.conv;
      g.where = l.where;
      break;
  }
  const Formats f = formats_of(l, p, recipe, first_or_last);
  g.a = f.a;
  g.b = f.b;
  g.out = f.out;
  return g;
}

}  // namespace

const char* recipe_name(Recipe r) {
  switch (r) {
    case Recipe::kSun2020:
      return "sun2020";
    case Recipe::kFp16:
      return "fp16";
    default:
      return "all4";
  }
}

std::optional<Recipe> parse_recipe(std::string_view name) {
  for (Recipe r : {Recipe::kAll4, Recipe::kSun2020, Recipe::kFp16}) {
    if (name == recipe_name(r)) {
      return r;
    }
  }
  return std::nullopt;
}

std::vector<GemmSpec> lower_layers(const std::vector<Layer>& layers, Recipe recipe, bool train) {
  std::set<std::string> names;
  for (const Layer& l : layers) {
    check_field(l, "m", l.m);
    check_field(l, "n", l.n);
    check_field(l, "k", l.k);
    check_field(l, "repeat", l.repeat);
    if (!names.insert(l.name).second) {
      throw std::invalid_argument(layer_where(l) + ": another layer has this name");
    }
  }
  std::vector<GemmSpec> gemms;
  int64_t total = 0;
  // Adds layer l's GEMM of pass p. A trace's total must fit int64 (every model counts it so);
  // each GEMM's three 31-bit dimensions and repeat may not.
  const auto add = [&](const Layer& l, Pass p, bool edge) {
    const GemmSpec& g = gemms.emplace_back(gemm_of(l, p, recipe, edge));
    const std::optional<int64_t> macs = checked_total_macs(g);
    if (!macs || __builtin_add_overflow(total, *macs, &total)) {
      throw std::invalid_argument(layer_where(l) +
                                  ": the GEMMs' total MACs (m * n * k * repeat) exceed int64 at " +
                                  g.name);
    }
  };
  const size_t count = layers.size();
  for (size_t i = 0; i < count; ++i) {
    add(layers[i], Pass::kFwd, i == 0 || i + 1 == count);
  }
  if (train) {
    for (size_t i = count; i-- > 0;) {
      const bool edge = i == 0 || i + 1 == count;
      add(layers[i], Pass::kDgrad, edge);
      add(layers[i], Pass::kWgrad, edge);
    }
  }
  return gemms;
}

}  // namespace nibble::workload
