// The training lowering: a layer's forward GEMM, the dgrad and wgrad GEMMs of its backward pass,
// and the operand formats a precision recipe gives each of them. docs/trace-format.md,
// "Training lowering", is the specification; `nibble run --topology` and `nibble import`
// (through the Python module) both call this code, and tools/gen_traces.py is proven equal to it
// for its CNN tables by tests/python/test_import.py (its BERT table writes the attention's dK as
// dS^T Q, the transpose of this lowering's wgrad Q^T dS: the same MACs and formats swapped).
#ifndef NIBBLE_MODEL_WORKLOAD_TRAINING_H_
#define NIBBLE_MODEL_WORKLOAD_TRAINING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/workload/gemm_spec.h"

namespace nibble::workload {

// all4: every GEMM 4-bit (Sun et al., NeurIPS 2020); sun2020: the layers Sun et al. keep above
// 4 bits (first and last layer FP16, 1x1 convolutions hybrid FP8); fp16: the FP16 baseline,
// every GEMM fp16 x fp16 with an fp32 result.
enum class Recipe { kAll4, kSun2020, kFp16 };
const char* recipe_name(Recipe r);  // "all4", "sun2020", "fp16"
std::optional<Recipe> parse_recipe(std::string_view name);

// One layer, described by its forward GEMM C[M x N] = A[M x K] * B[K x N], run `repeat` times
// (a grouped convolution's groups, a batched matrix product's batch and heads). A is the layer's
// input activation; B is its weight, or, for a product of two activations (attention), the
// second activation.
struct Layer {
  std::string name;
  int64_t m = 1;
  int64_t n = 1;
  int64_t k = 1;
  int64_t repeat = 1;
  bool a_unsigned = false;  // A's values are >= 0 (after a ReLU or softmax, an image): uint4
  bool b_weight = true;     // B is a weight (int4); else an activation, its sign b_unsigned
  bool b_unsigned = false;
  bool pointwise = false;         // a 1x1 convolution (sun2020 runs it in hybrid FP8)
  std::optional<ConvShape> conv;  // the forward GEMM's convolution (SCALE-Sim topologies)
  SourceLocation where;           // where the layer was read, if from a file
};

// The GEMMs of the layers. Forward only (train false): each layer's forward GEMM, named
// "<layer>.fwd", pass fwd. A training step (train true): every forward GEMM in layer order, then,
// from the last layer to the first, each layer's "<layer>.dgrad" (dA = dC * B^T: M x K by N)
// and "<layer>.wgrad" (dB = A^T * dC: K x N by M). Every GEMM keeps its layer's repeat; only the
// forward GEMM keeps conv and where. Throws std::invalid_argument naming the layer (and its
// file:line, if where is set) if a dimension or repeat is outside [1, 2^31 - 1], the limits of a
// trace, if the GEMMs' total MACs (m * n * k * repeat) exceed int64, or if two layers share a
// name.
std::vector<GemmSpec> lower_layers(const std::vector<Layer>& layers, Recipe recipe, bool train);

}  // namespace nibble::workload

#endif  // NIBBLE_MODEL_WORKLOAD_TRAINING_H_
