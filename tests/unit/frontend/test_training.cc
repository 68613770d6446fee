// The training lowering (model/workload/training.h) against shapes and formats derived by hand
// here from its specification, docs/trace-format.md "Training lowering": C = A * B with A M x K
// and B K x N; dA = dC * B^T is M x K by N; dB = A^T * dC is K x N by M.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "model/workload/training.h"

namespace {

using nibble::workload::format_spec_name;
using nibble::workload::FormatSpec;
using nibble::workload::GemmSpec;
using nibble::workload::Layer;
using nibble::workload::lower_layers;
using nibble::workload::parse_recipe;
using nibble::workload::Pass;
using nibble::workload::pass_name;
using nibble::workload::Recipe;
using nibble::workload::recipe_name;

// One GEMM as the text of its trace fields, so a failure shows the whole line.
std::string line(const GemmSpec& g) {
  return g.name + " m=" + std::to_string(g.m) + " n=" + std::to_string(g.n) +
         " k=" + std::to_string(g.k) + " a=" + format_spec_name(g.a) +
         " b=" + format_spec_name(g.b) + " out=" + format_spec_name(g.out) +
         " pass=" + pass_name(g.pass) + " repeat=" + std::to_string(g.repeat);
}

std::vector<std::string> lines(const std::vector<GemmSpec>& gemms) {
  std::vector<std::string> out;
  for (const GemmSpec& g : gemms) {
    out.push_back(line(g));
  }
  return out;
}

Layer conv(const std::string& name, int64_t m, int64_t n, int64_t k, bool pointwise = false) {
  Layer l;
  l.name = name;
  l.m = m;
  l.n = n;
  l.k = k;
  l.a_unsigned = true;
  l.pointwise = pointwise;
  return l;
}

// ResNet-18's conv1 at batch 32 (traces/resnet18_train_b32.trace): 7x7x3 filters, 64 of them,
// 112x112 outputs per image: M = 32 * 12544, N = 64, K = 147.
TEST(TrainingLowering, OneConvLayerGivesTheThreeGemmsOfTheShippedTrace) {
  const std::vector<GemmSpec> g =
      lower_layers({conv("conv1", 401408, 64, 147)}, Recipe::kAll4, true);
  EXPECT_EQ(lines(g), (std::vector<std::string>{
                          "conv1.fwd m=401408 n=64 k=147 a=uint4 b=int4 out=fp16 pass=fwd "
                          "repeat=1",
                          "conv1.dgrad m=401408 n=147 k=64 a=fp4:p0 b=int4 out=fp16 pass=dgrad "
                          "repeat=1",
                          "conv1.wgrad m=147 n=64 k=401408 a=uint4 b=fp4:p1 out=fp16 pass=wgrad "
                          "repeat=1",
                      }));
}

TEST(TrainingLowering, ForwardInLayerOrderThenBackwardFromTheLastLayer) {
  const std::vector<Layer> layers = {conv("x", 2, 3, 5), conv("y", 7, 11, 13),
                                     conv("z", 17, 19, 23)};
  std::vector<std::string> names;
  for (const GemmSpec& g : lower_layers(layers, Recipe::kAll4, true)) {
    names.push_back(g.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"x.fwd", "y.fwd", "z.fwd", "z.dgrad", "z.wgrad",
                                             "y.dgrad", "y.wgrad", "x.dgrad", "x.wgrad"}));
  const std::vector<GemmSpec> fwd = lower_layers(layers, Recipe::kAll4, false);
  ASSERT_EQ(fwd.size(), 3U);
  EXPECT_EQ(line(fwd[1]), "y.fwd m=7 n=11 k=13 a=uint4 b=int4 out=fp16 pass=fwd repeat=1");
}

// A depthwise convolution: 32 groups of one channel, 3x3 filters, 10x10 outputs, batch 2:
// per group M = 200, N = 1, K = 9, repeated 32 times in every pass.
TEST(TrainingLowering, RepeatIsKeptInEveryPass) {
  Layer dw = conv("dw", 200, 1, 9);
  dw.repeat = 32;
  dw.a_unsigned = false;
  EXPECT_EQ(lines(lower_layers({dw}, Recipe::kAll4, true)),
            (std::vector<std::string>{
                "dw.fwd m=200 n=1 k=9 a=int4 b=int4 out=fp16 pass=fwd repeat=32",
                "dw.dgrad m=200 n=9 k=1 a=fp4:p0 b=int4 out=fp16 pass=dgrad repeat=32",
                "dw.wgrad m=9 n=1 k=200 a=int4 b=fp4:p1 out=fp16 pass=wgrad repeat=32",
            }));
}

// Attention's P * V: P (softmax, >= 0) is 128 x 128, V (signed) 128 x 64, 12 heads x batch 2.
TEST(TrainingLowering, AProductOfTwoActivationsTakesBsFormatInDgrad) {
  Layer pv;
  pv.name = "attn.context";
  pv.m = 128;
  pv.n = 64;
  pv.k = 128;
  pv.repeat = 24;
  pv.a_unsigned = true;
  pv.b_weight = false;
  Layer qk = pv;
  qk.name = "attn.scores";
  qk.a_unsigned = false;
  qk.b_unsigned = true;  // not attention's case; shows that B's sign reaches fwd and dgrad
  EXPECT_EQ(
      lines(lower_layers({pv, qk}, Recipe::kAll4, true)),
      (std::vector<std::string>{
          "attn.context.fwd m=128 n=64 k=128 a=uint4 b=int4 out=fp16 pass=fwd repeat=24",
          "attn.scores.fwd m=128 n=64 k=128 a=int4 b=uint4 out=fp16 pass=fwd repeat=24",
          "attn.scores.dgrad m=128 n=128 k=64 a=fp4:p0 b=uint4 out=fp16 pass=dgrad repeat=24",
          "attn.scores.wgrad m=128 n=64 k=128 a=int4 b=fp4:p1 out=fp16 pass=wgrad repeat=24",
          "attn.context.dgrad m=128 n=128 k=64 a=fp4:p0 b=int4 out=fp16 pass=dgrad repeat=24",
          "attn.context.wgrad m=128 n=64 k=128 a=uint4 b=fp4:p1 out=fp16 pass=wgrad repeat=24",
      }));
}

// sun2020 (docs/trace-format.md, "Precision recipes"): first and last layer FP16, 1x1
// convolutions hybrid FP8 (E4M3 activations and weights, E5M2 gradients), the rest all4.
TEST(TrainingLowering, Sun2020KeepsTheEdgesInFp16AndPointwiseInHybridFp8) {
  const std::vector<Layer> layers = {conv("first", 4, 4, 4, true), conv("pw", 4, 4, 4, true),
                                     conv("mid", 4, 4, 4), conv("last", 4, 4, 4, true)};
  std::vector<std::string> got;
  for (const GemmSpec& g : lower_layers(layers, Recipe::kSun2020, true)) {
    got.push_back(g.name + " " + format_spec_name(g.a) + " " + format_spec_name(g.b) + " " +
                  format_spec_name(g.out));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "first.fwd fp16 fp16 fp16",
                     "pw.fwd fp8_e4m3 fp8_e4m3 fp16",
                     "mid.fwd uint4 int4 fp16",
                     "last.fwd fp16 fp16 fp16",
                     "last.dgrad fp16 fp16 fp16",
                     "last.wgrad fp16 fp16 fp16",
                     "mid.dgrad fp4:p0 int4 fp16",
                     "mid.wgrad uint4 fp4:p1 fp16",
                     "pw.dgrad fp8_e5m2 fp8_e4m3 fp16",
                     "pw.wgrad fp8_e4m3 fp8_e5m2 fp16",
                     "first.dgrad fp16 fp16 fp16",
                     "first.wgrad fp16 fp16 fp16",
                 }));
}

TEST(TrainingLowering, Fp16RecipeIsTheBaselineWithFp32Results) {
  for (const GemmSpec& g :
       lower_layers({conv("a", 2, 2, 2), conv("b", 2, 2, 2, true)}, Recipe::kFp16, true)) {
    EXPECT_EQ(format_spec_name(g.a) + " " + format_spec_name(g.b) + " " + format_spec_name(g.out),
              "fp16 fp16 fp32")
        << g.name;
  }
}

TEST(TrainingLowering, OnlyTheForwardGemmKeepsTheConvolutionAndItsSource) {
  Layer l = conv("c", 16, 8, 36);
  l.conv = nibble::workload::ConvShape{9, 9, 3, 3, 4, 8, 2, 2};
  l.where = {"t.csv", 3};
  const std::vector<GemmSpec> g = lower_layers({l}, Recipe::kAll4, true);
  ASSERT_EQ(g.size(), 3U);
  EXPECT_TRUE(g[0].conv.has_value());
  EXPECT_EQ(g[0].where.line, 3);
  EXPECT_FALSE(g[1].conv.has_value());
  EXPECT_FALSE(g[2].conv.has_value());
}

TEST(TrainingLowering, RejectsShapesATraceCannotHoldAndDuplicateNames) {
  Layer big = conv("big", 2147483648LL, 1, 1);
  big.where = {"net.csv", 7};
  try {
    lower_layers({big}, Recipe::kAll4, false);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "net.csv:7: layer 'big': m=2147483648 is outside [1, 2147483647], the range of a "
              "trace's GEMM");
  }
  Layer zero = conv("z", 1, 1, 1);
  zero.repeat = 0;
  EXPECT_THROW(lower_layers({zero}, Recipe::kAll4, true), std::invalid_argument);
  EXPECT_NO_THROW(lower_layers({conv("max", 2147483647, 1, 1)}, Recipe::kAll4, true));
  // Every dimension in range, but 3 x (2^31 - 1)^3 MACs do not fit int64.
  try {
    lower_layers({conv("huge", 2147483647, 2147483647, 2147483647)}, Recipe::kAll4, true);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "layer 'huge': the GEMMs' total MACs (m * n * k * repeat) exceed int64 at huge.fwd");
  }
  try {
    lower_layers({conv("a", 1, 1, 1), conv("a", 2, 2, 2)}, Recipe::kAll4, true);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "layer 'a': another layer has this name");
  }
}

TEST(TrainingLowering, RecipeNamesRoundTrip) {
  for (Recipe r : {Recipe::kAll4, Recipe::kSun2020, Recipe::kFp16}) {
    EXPECT_EQ(parse_recipe(recipe_name(r)), r);
  }
  EXPECT_FALSE(parse_recipe("fp8").has_value());
  EXPECT_FALSE(parse_recipe("").has_value());
}

}  // namespace
