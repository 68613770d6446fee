// time_realistic's fast-forward (docs/timing.md, "Fast-forward") against the same recurrence
// run tile by tile: every field of GemmTiming equal, action counts included, on seeded random
// GEMMs and arrays of every dataflow, lane count, buffer size, DRAM rate and format, chosen so
// that many groups repeat (small arrays, tall or wide GEMMs, small buffers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/numerics/format.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"

namespace {

using nibble::num::Format;
using nibble::timing::ActionCounts;
using nibble::timing::ArchSpec;
using nibble::timing::Dataflow;
using nibble::timing::GemmTiming;
using nibble::timing::TilePlan;
using nibble::workload::GemmSpec;

std::string counts_text(const ActionCounts& a) {
  std::ostringstream out;
  out << a.macs_int4 << " " << a.macs_fp4 << " " << a.macs_fp8 << " " << a.macs_fp16 << " "
      << a.acc_adds_fp16 << " " << a.acc_adds_fp32 << " " << a.chunk_sums << " " << a.scale_ops
      << " " << a.pe_move_bits << " " << a.ifmap_read_bits << " " << a.ifmap_write_bits << " "
      << a.filter_read_bits << " " << a.filter_write_bits << " " << a.ofmap_read_bits << " "
      << a.ofmap_write_bits << " " << a.dram_read_bits << " " << a.dram_write_bits << " "
      << a.pe_busy_cycles << " " << a.pe_idle_cycles;
  static_assert(sizeof(ActionCounts) == 19 * sizeof(int64_t), "counts_text lists every count");
  return out.str();
}

std::string timing_text(const GemmTiming& t) {
  std::ostringstream out;
  out << "cycles " << t.cycles << " compute " << t.compute_cycles << " busy " << t.dram_busy_cycles
      << " stall " << t.stall_cycles << " tiles " << t.tiles << " macs " << t.macs << " read "
      << t.dram_read_bytes << " write " << t.dram_write_bytes << " rate " << t.macs_per_cycle
      << " util " << t.utilization << " bound " << nibble::timing::bound_name(t.bound) << " counts "
      << counts_text(t.actions);
  return out.str();
}

TEST(FastForward, EqualsTileByTile) {
  std::mt19937_64 rng(20261205);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const Format formats[] = {Format::kInt4, Format::kUint4, Format::kFp8E4M3, Format::kFp16};
  const double bandwidths[] = {0.5, 1.4, 4, 16, 64, 256};
  int cases = 0;
  int faster = 0;  // cases where the fast-forward skipped tiles
  int other_blocks = 0;
  for (int i = 0; i < 1500; ++i) {
    ArchSpec a;
    a.array.rows = pick(1, 12);
    a.array.cols = pick(1, 12);
    a.array.dataflow = static_cast<Dataflow>(pick(0, 2));
    a.pe.lanes = pick(1, 3) == 1 ? 1 : pick(2, 8);
    a.sram.ifmap_kib = pick(1, 16);
    a.sram.filter_kib = pick(1, 16);
    a.sram.ofmap_kib = pick(1, 16);
    a.sram.double_buffered = pick(0, 3) != 0;
    a.dram.bandwidth_bytes_per_cycle = bandwidths[pick(0, 5)];
    a.dram.latency_cycles = pick(0, 1) * pick(1, 200);
    // The greedy plan here; other blocks below.
    a.tiling.mode = nibble::timing::Tiling::kGreedy;
    GemmSpec g;
    g.name = "g" + std::to_string(i);
    g.m = pick(1, 3) == 1 ? pick(1, 40) : pick(100, 3000);
    g.n = pick(1, 3) == 1 ? pick(1, 40) : pick(50, 600);
    g.k = pick(1, 3) == 1 ? pick(1, 40) : pick(50, 1500);
    const int fmt = static_cast<int>(pick(0, 3));
    g.a.format = formats[fmt];
    g.b.format = fmt == 0 ? formats[pick(0, 1)] : formats[fmt];
    g.out.format = Format::kFp16;
    g.repeat = pick(1, 3);
    int64_t walked = 0;
    const GemmTiming fast = nibble::timing::time_realistic(g, a, true, &walked);
    const GemmTiming slow = nibble::timing::time_realistic(g, a, false);
    ASSERT_EQ(timing_text(fast), timing_text(slow))
        << "case " << i << ": " << g.m << "x" << g.n << "x" << g.k << " on " << a.array.rows << "x"
        << a.array.cols << " " << nibble::timing::dataflow_name(a.array.dataflow)
        << " L=" << a.pe.lanes << " sram " << a.sram.ifmap_kib << "/" << a.sram.filter_kib << "/"
        << a.sram.ofmap_kib << (a.sram.double_buffered ? " db" : "") << " bw "
        << a.dram.bandwidth_bytes_per_cycle << " lat " << a.dram.latency_cycles;
    ++cases;
    EXPECT_LE(walked, slow.tiles);
    faster += walked < slow.tiles ? 1 : 0;
    // A block the tile mapper may try instead (a candidate of nibble::timing::candidate_blocks),
    // when its tiles stay few enough to walk.
    const TilePlan greedy = nibble::timing::greedy_tiles(g, a);
    const std::vector<int64_t> blocks =
        nibble::timing::candidate_blocks(greedy.temporal, greedy.block);
    const TilePlan other = nibble::timing::with_block(
        greedy, blocks[static_cast<size_t>(pick(0, static_cast<int64_t>(blocks.size()) - 1))]);
    if (other.row_folds * other.col_folds * other.blocks <= 20000) {
      ASSERT_EQ(timing_text(nibble::timing::time_plan(g, a, other, true)),
                timing_text(nibble::timing::time_plan(g, a, other, false)))
          << "case " << i << ", block " << other.block;
      ++other_blocks;
    }
  }
  EXPECT_GT(other_blocks, 500);
  EXPECT_EQ(cases, 1500);
  // The fast-forward acted (walked fewer tiles than the run has) in many of the cases.
  EXPECT_GT(faster, 300);
}

// Steady states whose period is more than two groups, and states that hold a drain that can
// no longer delay anything: the default 32x32 os array on a GEMM of one K chunk (its loads and
// stores interleave in a pattern of three tiles) and a DRAM-bound os GEMM with many K blocks.
TEST(FastForward, LongPeriodsAndSpentDrainsAreSkipped) {
  struct Case {
    ArchSpec arch;
    GemmSpec gemm;
  };
  std::vector<Case> cases;
  {
    Case c;
    c.arch.array.dataflow = Dataflow::kOs;
    c.arch.tiling.mode = nibble::timing::Tiling::kGreedy;
    c.gemm.m = 60000, c.gemm.n = 300, c.gemm.k = 2;
    cases.push_back(c);
  }
  {
    Case c;
    c.arch.array.dataflow = Dataflow::kOs;
    c.arch.array.rows = 47, c.arch.array.cols = 29, c.arch.pe.lanes = 2;
    c.arch.sram.ifmap_kib = 6, c.arch.sram.filter_kib = 150, c.arch.sram.ofmap_kib = 122;
    c.arch.dram.bandwidth_bytes_per_cycle = 1.4, c.arch.dram.latency_cycles = 196;
    c.arch.tiling.mode = nibble::timing::Tiling::kGreedy;
    c.gemm.m = 1000, c.gemm.n = 300, c.gemm.k = 20000;
    c.gemm.a.format = Format::kUint4;
    cases.push_back(c);
  }
  for (const Case& c : cases) {
    int64_t walked = 0;
    const GemmTiming fast = nibble::timing::time_realistic(c.gemm, c.arch, true, &walked);
    const GemmTiming slow = nibble::timing::time_realistic(c.gemm, c.arch, false);
    ASSERT_EQ(timing_text(fast), timing_text(slow))
        << c.gemm.m << "x" << c.gemm.n << "x" << c.gemm.k;
    EXPECT_GT(slow.tiles, 10000);
    EXPECT_LT(walked, 200) << slow.tiles << " tiles";
  }
}

// The analytic cost does not grow with the GEMM: seeded random arrays and GEMMs of up to 10^7
// per dimension walk a bounded number of tiles, the same bound at ten times the size (the
// run's timing itself is checked against the tile walk above, where walking is affordable).
TEST(FastForward, TilesWalkedDoNotGrowWithTheGemm) {
  std::mt19937_64 rng(61206);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const Format formats[] = {Format::kInt4, Format::kUint4, Format::kFp8E4M3, Format::kFp16};
  const double bandwidths[] = {0.5, 1.4, 4, 16, 64, 256};
  int timed = 0;
  int64_t worst = 0;
  for (int i = 0; i < 300; ++i) {
    ArchSpec a;
    a.array.rows = pick(1, 64);
    a.array.cols = pick(1, 64);
    a.array.dataflow = static_cast<Dataflow>(pick(0, 2));
    a.pe.lanes = pick(0, 1) == 1 ? 4 : pick(1, 8);
    a.sram.ifmap_kib = pick(1, 512);
    a.sram.filter_kib = pick(1, 512);
    a.sram.ofmap_kib = pick(1, 512);
    a.sram.double_buffered = pick(0, 3) != 0;
    a.dram.bandwidth_bytes_per_cycle = bandwidths[pick(0, 5)];
    a.dram.latency_cycles = pick(0, 1) * pick(1, 300);
    a.tiling.mode = nibble::timing::Tiling::kGreedy;
    GemmSpec g;
    g.m = pick(0, 3) == 0 ? pick(1, 100) : pick(1000, 1000000);
    g.n = pick(1000, 1000000);
    g.k = pick(0, 1) == 1 ? pick(1, 64) : pick(1000, 100000);
    const int fmt = static_cast<int>(pick(0, 3));
    g.a.format = formats[fmt];
    g.b.format = fmt == 3 ? formats[3] : formats[pick(0, 1)];
    g.out.format = Format::kFp16;
    for (const int64_t scale : {1, 10}) {
      GemmSpec big = g;
      big.m *= scale, big.n *= scale, big.k *= scale;
      int64_t walked = 0;
      try {
        nibble::timing::time_realistic(big, a, true, &walked);
      } catch (const std::overflow_error&) {
        continue;  // a count beyond 64 bits: refused, not timed
      }
      ++timed;
      worst = std::max(worst, walked);
      ASSERT_LT(walked, 1000) << "case " << i << " x" << scale << ": " << big.m << "x" << big.n
                              << "x" << big.k;
    }
  }
  EXPECT_GT(timed, 400);
  std::printf("most tiles walked: %lld\n", static_cast<long long>(worst));
}

}  // namespace
