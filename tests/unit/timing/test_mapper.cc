// Tests of the tile mapper (timing.tiling: search; docs/timing.md, "The tile mapper"). The
// candidate set and the ranking are transcribed here from the docs and compared with
// choose_tiling; the timing of one candidate is the recurrence, which test_realistic.cc checks
// against its own reference for any block. The monotonic property (more buffer or bandwidth
// never slower) is checked on random GEMMs and configs, and on the SRAM sweep that motivated
// the mapper.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "model/frontend/trace.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"
#include "tests/one_lane_pe.h"

namespace {

using nibble::num::Format;
using nibble::timing::ArchSpec;
using nibble::timing::Dataflow;
using nibble::timing::GemmTiming;
using nibble::timing::TilePlan;
using nibble::timing::Tiling;
using nibble::workload::FormatSpec;
using nibble::workload::GemmSpec;

// "Candidates": for n = 1, 2, ..., 32 blocks, then n + ceil(n / 8), up to T: ceil(T / n) when
// at most b_max; and 1. Largest first, no repeats.
std::vector<int64_t> documented_candidates(int64_t t, int64_t b_max) {
  std::vector<int64_t> ns;
  for (int64_t n = 1; n <= std::min<int64_t>(32, t); ++n) {
    ns.push_back(n);
  }
  for (int64_t n = 32; n + (n + 7) / 8 <= t;) {
    n += (n + 7) / 8;
    ns.push_back(n);
  }
  std::vector<int64_t> blocks;
  for (const int64_t n : ns) {
    const int64_t b = (t + n - 1) / n;
    if (b <= b_max) {
      blocks.push_back(b);
    }
  }
  blocks.push_back(1);
  std::sort(blocks.begin(), blocks.end(), [](int64_t x, int64_t y) { return x > y; });
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  return blocks;
}

TEST(MapperCandidates, SmallCasesByHand) {
  // T = 10, b_max = 4: n = 1..10 give 10, 5, 4, 3, 2, 2, 2, 2, 2, 1.
  EXPECT_EQ(nibble::timing::candidate_blocks(10, 4), (std::vector<int64_t>{4, 3, 2, 1}));
  // b_max = T: every balanced block.
  EXPECT_EQ(nibble::timing::candidate_blocks(6, 6), (std::vector<int64_t>{6, 3, 2, 1}));
  EXPECT_EQ(nibble::timing::candidate_blocks(1, 1), (std::vector<int64_t>{1}));
  // T = 100: n = 1..32 give 100, 50, 34, 25, 20, 17, 15, 13, 12, 10, 10, 9, 8, 8, 7, 7, 6, 6,
  // 6, 5 (n = 20..24), 4 (n = 25..32); then n = 36, 41, 47 give 3 and n = 53, 60, 68, 77, 87, 98
  // give 2 (the next, 111, is past T); and 1.
  const std::vector<int64_t> c = nibble::timing::candidate_blocks(100, 100);
  EXPECT_EQ(c, (std::vector<int64_t>{100, 50, 34, 25, 20, 17, 15, 13, 12, 10, 9, 8, 7, 6, 5, 4, 3,
                                     2, 1}));
  EXPECT_EQ(c, documented_candidates(100, 100));
}

TEST(MapperCandidates, MatchTheDocumentedSetAndGrowWithTheLargestBlock) {
  std::mt19937_64 rng(31);
  for (int i = 0; i < 3000; ++i) {
    const auto t = static_cast<int64_t>(std::exp(std::uniform_real_distribution<>(0, 13)(rng)));
    const int64_t b1 = std::uniform_int_distribution<int64_t>(1, t)(rng);
    const int64_t b2 = std::uniform_int_distribution<int64_t>(b1, t)(rng);
    const std::vector<int64_t> small = nibble::timing::candidate_blocks(t, b1);
    const std::vector<int64_t> large = nibble::timing::candidate_blocks(t, b2);
    ASSERT_EQ(small, documented_candidates(t, b1)) << "T " << t << " b_max " << b1;
    for (const int64_t b : small) {
      ASSERT_NE(std::find(large.begin(), large.end(), b), large.end())
          << "T " << t << ": block " << b << " a candidate at b_max " << b1 << ", not at " << b2;
    }
  }
}

GemmSpec gemm(int64_t m, int64_t n, int64_t k, Format a, Format b, Format out) {
  GemmSpec g;
  g.name = "g";
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = FormatSpec{a, 0};
  g.b = FormatSpec{b, 0};
  g.out = FormatSpec{out, 0};
  return g;
}

struct Draw {
  GemmSpec g;
  ArchSpec a;
};

// A random GEMM on a random realistic-mode machine, small enough to search quickly.
Draw random_draw(std::mt19937_64& rng) {
  const auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const auto dim = [&]() {
    return std::clamp<int64_t>(
        static_cast<int64_t>(std::exp(std::uniform_real_distribution<>(0, std::log(4000.0))(rng))),
        1, 4000);
  };
  const Format pairs[][2] = {{Format::kUint4, Format::kInt4},
                             {Format::kFp4, Format::kInt4},
                             {Format::kFp8E4M3, Format::kFp8E5M2},
                             {Format::kFp16, Format::kFp16}};
  const auto& p = pairs[uni(0, 3)];
  Draw d;
  d.g = gemm(dim(), dim(), dim(), p[0], p[1], uni(0, 1) == 0 ? Format::kFp16 : Format::kFp4);
  d.g.repeat = uni(1, 2);
  ArchSpec& a = d.a;
  a.pe.lanes = std::array<int64_t, 4>{1, 2, 4, 8}[uni(0, 3)];
  a.array.rows = uni(1, 48);
  a.array.cols = uni(1, 48);
  a.array.dataflow = static_cast<Dataflow>(uni(0, 2));
  a.sram.double_buffered = uni(0, 3) != 0;
  const int64_t kibs[] = {1, 2, 4, 8, 16, 32, 64, 256};
  a.sram.ifmap_kib = kibs[uni(0, 7)];
  a.sram.filter_kib = kibs[uni(0, 7)];
  a.sram.ofmap_kib = kibs[uni(0, 7)];
  a.dram.bandwidth_bytes_per_cycle =
      std::exp(std::uniform_real_distribution<>(std::log(0.5), std::log(256.0))(rng));
  a.dram.latency_cycles = uni(0, 400);
  a.tiling.mode = Tiling::kSearch;
  return d;
}

std::string describe(const Draw& d) {
  std::ostringstream os;
  os << "gemm " << d.g.m << "x" << d.g.n << "x" << d.g.k << " "
     << nibble::num::format_name(d.g.a.format) << "*" << nibble::num::format_name(d.g.b.format)
     << " | " << d.a.array.rows << "x" << d.a.array.cols << " "
     << nibble::timing::dataflow_name(d.a.array.dataflow) << " L" << d.a.pe.lanes << " sram "
     << d.a.sram.ifmap_kib << "/" << d.a.sram.filter_kib << "/" << d.a.sram.ofmap_kib
     << " db=" << d.a.sram.double_buffered << " bw " << d.a.dram.bandwidth_bytes_per_cycle
     << " lat " << d.a.dram.latency_cycles;
  return os.str();
}

int64_t tiles_of(const GemmSpec& g, const ArchSpec& a) {
  const TilePlan p = nibble::timing::greedy_tiles(g, a);
  return p.row_folds * p.col_folds * p.temporal;  // tiles of the smallest block: the most
}

// The counts a tiling changes, which the tests below price (in count_fields' order, as the
// mapper sums them).
constexpr int64_t nibble::timing::ActionCounts::*kPriced[] = {
    &nibble::timing::ActionCounts::pe_move_bits,
    &nibble::timing::ActionCounts::ifmap_read_bits,
    &nibble::timing::ActionCounts::ifmap_write_bits,
    &nibble::timing::ActionCounts::filter_read_bits,
    &nibble::timing::ActionCounts::filter_write_bits,
    &nibble::timing::ActionCounts::ofmap_read_bits,
    &nibble::timing::ActionCounts::ofmap_write_bits,
    &nibble::timing::ActionCounts::dram_read_bits,
    &nibble::timing::ActionCounts::dram_write_bits,
    &nibble::timing::ActionCounts::pe_idle_cycles};

// "Ranking": fewest cycles, then least energy (action_pj x the counts), then fewest DRAM
// bytes, then the largest block.
TEST(MapperChoice, IsTheBestDocumentedCandidate) {
  std::mt19937_64 rng(77);
  int compared = 0, not_greedy = 0, energy_decided = 0;
  while (compared < 400) {
    Draw d = random_draw(rng);
    if (tiles_of(d.g, d.a) > 2000000) {
      continue;
    }
    // Some draws price the counts a tiling changes (the others leave action_pj empty).
    const bool priced = compared % 2 == 1;
    std::vector<double> price(std::size(kPriced), 0.0);
    if (priced) {
      d.a.tiling.action_pj.assign(nibble::timing::kActionCountFields, 0.0);
      nibble::timing::ActionCounts probe;
      const auto fields = nibble::timing::count_fields(probe);
      for (size_t j = 0; j < std::size(kPriced); ++j) {
        price[j] = std::uniform_real_distribution<>(0.001, 50)(rng);
        const auto at = std::find(fields.begin(), fields.end(), &(probe.*kPriced[j]));
        d.a.tiling.action_pj[static_cast<size_t>(at - fields.begin())] = price[j];
      }
    }
    const TilePlan greedy = nibble::timing::greedy_tiles(d.g, d.a);
    GemmSpec once = d.g;
    once.repeat = 1;
    int64_t best_block = 0, best_cycles = 0, best_bytes = 0;
    double best_pj = 0;
    bool tie_on_cycles = false;
    for (const int64_t b : documented_candidates(greedy.temporal, greedy.block)) {
      const GemmTiming t =
          nibble::timing::time_plan(once, d.a, nibble::timing::with_block(greedy, b));
      double pj = 0;
      for (size_t j = 0; j < std::size(kPriced); ++j) {
        pj += static_cast<double>(t.actions.*kPriced[j]) * price[j];
      }
      const int64_t bytes = t.dram_read_bytes + t.dram_write_bytes;
      const bool better =
          best_block == 0 || t.cycles < best_cycles ||
          (t.cycles == best_cycles && (pj < best_pj || (pj == best_pj && bytes < best_bytes)));
      if (best_block != 0 && t.cycles == best_cycles && pj != best_pj) {
        tie_on_cycles = true;
      }
      if (better) {
        best_block = b, best_cycles = t.cycles, best_pj = pj, best_bytes = bytes;
      }
    }
    int64_t tried = 0;
    const TilePlan chosen = nibble::timing::choose_tiling(d.g, d.a, &tried);
    ASSERT_EQ(chosen.block, best_block) << describe(d);
    ASSERT_EQ(nibble::timing::plan_tiles(d.g, d.a).block, best_block) << describe(d);
    EXPECT_EQ(static_cast<size_t>(tried),
              documented_candidates(greedy.temporal, greedy.block).size());
    not_greedy += chosen.block != greedy.block ? 1 : 0;
    energy_decided += priced && tie_on_cycles ? 1 : 0;
    ++compared;
  }
  // The draw reaches choices other than greedy's and ties that energy breaks.
  EXPECT_GE(not_greedy, 40);
  EXPECT_GE(energy_decided, 3);
  std::cout << compared << " GEMMs: the mapper left the greedy block in " << not_greedy
            << "; equal-cycle candidates ranked by energy in " << energy_decided << "\n";
}

// "Why it is monotone": under search, more buffer or more bandwidth never makes a GEMM slower.
// The same draws under greedy do get slower, which is what the property guards against.
TEST(MapperMonotone, MoreBufferOrBandwidthNeverSlower) {
  std::mt19937_64 rng(2026);
  int compared = 0, faster = 0, greedy_slower = 0;
  while (compared < 1500) {
    Draw d = random_draw(rng);
    if (tiles_of(d.g, d.a) > 1000000) {
      continue;
    }
    ArchSpec more = d.a;
    switch (compared % 5) {
      case 0:
        more.sram.ifmap_kib *= 2;
        break;
      case 1:
        more.sram.filter_kib *= 4;
        break;
      case 2:
        more.sram.ofmap_kib *= 2;
        break;
      case 3:
        more.sram.ifmap_kib *= 8, more.sram.filter_kib *= 8, more.sram.ofmap_kib *= 8;
        break;
      default:
        more.dram.bandwidth_bytes_per_cycle *= std::uniform_real_distribution<>(1.01, 4)(rng);
        break;
    }
    const int64_t before = nibble::timing::time_realistic(d.g, d.a).cycles;
    const int64_t after = nibble::timing::time_realistic(d.g, more).cycles;
    ASSERT_LE(after, before) << describe(d) << " (change " << compared % 5 << ")";
    faster += after < before ? 1 : 0;
    ArchSpec g0 = d.a, g1 = more;
    g0.tiling.mode = g1.tiling.mode = Tiling::kGreedy;
    greedy_slower += nibble::timing::time_realistic(d.g, g1).cycles >
                             nibble::timing::time_realistic(d.g, g0).cycles
                         ? 1
                         : 0;
    ++compared;
  }
  EXPECT_GE(faster, 200);
  EXPECT_GE(greedy_slower, 1);
  std::cout << compared << " pairs: faster with more in " << faster << "; greedy got slower in "
            << greedy_slower << "\n";
}

// The sweep that motivated the mapper (docs/timing.md, "The tile mapper"): ResNet-18's
// training step, one lane, every buffer from 256 to 2048 KiB. Under greedy it gets slower;
// under search each GEMM, and so the total, never does.
TEST(MapperMonotone, ResNet18SramSweep) {
  const auto w = nibble::frontend::read_trace_file(std::string(NIBBLE_SOURCE_DIR) +
                                                   "/traces/resnet18_train_b32.trace");
  ArchSpec a = nibble::test::one_lane_arch();
  std::vector<int64_t> totals[2];
  for (const Tiling mode : {Tiling::kSearch, Tiling::kGreedy}) {
    a.tiling.mode = mode;
    std::vector<int64_t> last;
    for (const int64_t kib : {256, 512, 1024, 2048}) {
      a.sram.ifmap_kib = a.sram.filter_kib = a.sram.ofmap_kib = kib;
      std::vector<int64_t> now;
      int64_t total = 0;
      for (const GemmSpec& g : w.gemms) {
        now.push_back(nibble::timing::time_realistic(g, a).cycles);
        total += now.back();
      }
      for (size_t i = 0; mode == Tiling::kSearch && i < last.size(); ++i) {
        EXPECT_LE(now[i], last[i]) << w.gemms[i].name << " at " << kib << " KiB";
      }
      last = now;
      totals[mode == Tiling::kSearch ? 0 : 1].push_back(total);
    }
  }
  for (size_t i = 1; i < totals[0].size(); ++i) {
    EXPECT_LE(totals[0][i], totals[0][i - 1]);
  }
  EXPECT_GT(totals[1].back(), totals[1].front()) << "greedy no longer slows down: update the docs";
  EXPECT_LT(totals[0].front(), totals[1].front());
}

}  // namespace
