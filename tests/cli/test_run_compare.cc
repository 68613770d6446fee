// Issue 7 acceptance: speedup and energy of a tiny trace, computed by hand here from the tables
// (docs/timing.md "realistic mode", docs/energy.md, model/energy/baseline.h), against what
// `nibble run` writes into report.json and layers.csv. No nibble library is called: every
// expected number is derived in the comments below and written out, and the energies are the
// docs' formula applied to those counts and to the test's own tables.
//
// Inputs
//   Trace:  g_int4  m=n=k=4  a=int4 b=int4 (out fp16)  pass=fwd
//           g_fp4   m=n=k=4  a=fp4  b=int4 (out fp16)  pass=dgrad repeat=2
//   Config: 2x2 ws array, SRAMs 256 KiB each, double-buffered (128 KiB = 1,048,576 usable bits:
//           every operand of these GEMMs fits), DRAM 2 bytes/cycle with 10 cycles of latency,
//           clock 0.5 GHz.
//   Area:   the one-lane 4-bit PE (docs/energy.md, "The L-lane PE"): mult_int4 + 136 shifter
//           bit-levels (51 in the lane, 85 in the rounder) + 67 adder bits (17 + 50) + add_fp16 +
//           28 register bits = 1/4 + (136 + 67 + 28) / 1024 + 537/1024 = 1 um^2 with the rows
//           below; pe_fp16 4 um^2: s = sqrt(1 / 4) = 0.5, so the iso-area FP16 array is
//           floor(2 * 0.5) x floor(2 * 0.5) = 1 x 1. The iso-PE FP16 array is 2 x 2.
//           pe_hfp8 1/4 um^2: s = sqrt(1 / (1/4)) = 2, so the iso-area HFP8 array is 4 x 4.
//   Baseline workload: both GEMMs as a = b = out = fp16, same shapes, passes and repeats, on
//           FP16 PEs at one FP16 MAC per cycle. The HFP8 arrays run them as fp8_e4m3 x
//           fp8_e4m3 and fp8_e5m2 x fp8_e4m3 (out fp16), one FP8 MAC per PE per cycle.
//
// Tiling (docs/timing.md, "Tiling"). ws puts K on the array rows, N on the columns and streams
// M. Block: b = min(ifmap / (min(R, K) * bits_A), ofmap / (min(C, N) * bits_acc)), clamped to
// T = M = 4, so b = 4 and there is one block. Both operands are resident (M*K*bits_A and
// K*min(C, N)*bits_B are at most 256 bits): A is loaded in the first column fold only, the B
// tile of every tile is loaded once (one block). Tiles run column fold fc outer, row fold fr
// inner; every tile streams waves = 4 vectors; outputs are stored after the last row fold.
//
// Recurrence (docs/timing.md, "Per-tile recurrence"): D = 2, bw = 2, lat = 10;
// transfer(ready, bytes) starts at max(channel_free, ready) and holds the channel for
// ceil(bytes / 2) cycles; a read's data is there lat cycles after that, a write when it ends.
// ws, double-buffered: tile i's R-cycle preload starts when its operands are loaded and the
// previous tile's first wave has entered, and its first wave enters after the preload and the
// previous tile's done: first[i] = max(max(loaded[i], first[i-1]) + R, done[i-1]) (tile 0:
// loaded[0] + R), done[i] = first[i] + ceil(waves / rate). load(i + 2) is issued (ready at
// done[i]) before the store of tile i, which is ready at done[i] + lat_out[i],
// lat_out[i] = lat_pipe - (C - cu[i]), lat_pipe = R + C - 2. Every tile here uses all C
// columns (N = 4 on 2 columns, or on 1), so lat_out = lat_pipe. cycles = the last write or
// outputs_ready. compute_cycles = the same rule with every loaded[i] = 0, up to the last done.
//
// 4-bit array, 2 x 2, one repeat. bits_A = bits_B = 4, bits_acc = 16, bits_out = 16.
// Four tiles, ru = cu = 2, macs 16, waves 4, W = 4 cycles. Load = A 4*2*4/8 = 4 B (fc = 0
// only) + B 2*2*4/8 = 2 B; store (fr = 1) = 4*2*16/8 = 16 B. lat_pipe = 2, R = 2.
//   tile fc,fr load  channel   loaded  first  done  store  channel   end
//   0    0,0   6 B   [0, 3)    13      15     19    -      -         21
//   1    0,1   6 B   [3, 6)    16      19     23    16 B   [25, 33)  33
//   2    1,0   2 B   [19, 20)  30      32     36    -      -         38
//   3    1,1   2 B   [23, 24)  34      36     40    16 B   [42, 50)  50
//   (tile 1: max(max(16, 15) + 2, 19) = 19; tile 2: max(max(30, 19) + 2, 23) = 32, its
//   operands arrive late and the preload follows them; tile 3: max(max(34, 32) + 2, 36) = 36.)
//   compute, loaded = 0: first 2, 6, 10, 14 (W = 4 >= R: each preload hides behind the waves
//   before it), done 18.
//   cycles 50, compute 18, stall 32, DRAM busy 3+3+1+1+8+8 = 24 > 18: memory-bound.
//   DRAM read 6+6+2+2 = 16 B, write 32 B. g_fp4 (repeat 2): cycles 100, compute 36, read 32 B,
//   write 64 B, busy 48: memory-bound.
//   Utilization: 64 / (50 * 4 * 1) = 8/25 and 128 / (100 * 4) = 8/25.
//
// FP16 iso-PE array, 2 x 2, rate 1. bits 16, bits_acc 32, bits_out 16. Load = A 4*2*16/8 = 16 B
// (fc = 0) + B 2*2*16/8 = 8 B; store 16 B.
//   tile fc,fr load  channel   loaded  first  done  store  channel   end
//   0    0,0   24 B  [0, 12)   22      24     28    -      -         30
//   1    0,1   24 B  [12, 24)  34      36     40    16 B   [44, 52)  52
//   2    1,0   8 B   [28, 32)  42      44     48    -      -         52
//   3    1,1   8 B   [40, 44)  54      56     60    16 B   [62, 70)  70
//   (Tile 1's store, ready at 42, waits for load(3), issued first at 40.)
//   cycles 70, compute 18, busy 12+12+4+4+8+8 = 48 > 18: memory-bound. Read 64 B, write 32 B.
//   Repeat 2: cycles 140, read 128 B, write 64 B. Utilization 64 / (70 * 4) = 8/35.
//
// FP16 iso-area array, 1 x 1, rate 1. Sixteen tiles, ru = cu = 1, macs 4, W = 4 cycles.
// Load = A 4*1*16/8 = 8 B (fc = 0) + B 1*1*16/8 = 2 B; store (fr = 3) = 4*1*16/8 = 8 B.
// lat_pipe = 0, R = 1.
//   tile fc,fr load  channel    loaded  first  done  store  channel     end
//   0    0,0   10 B  [0, 5)     15      16     20    -      -           20
//   1    0,1   10 B  [5, 10)    20      21     25    -      -           25
//   2    0,2   10 B  [20, 25)   35      36     40    -      -           40
//   3    0,3   10 B  [25, 30)   40      41     45    8 B    [46, 50)    50
//   4    1,0   2 B   [40, 41)   51      52     56    -      -           56
//   5    1,1   2 B   [45, 46)   56      57     61    -      -           61
//   6    1,2   2 B   [56, 57)   67      68     72    -      -           72
//   7    1,3   2 B   [61, 62)   72      73     77    8 B    [78, 82)    82
//   8..11  as 4..7, 32 cycles later (done 88, 93, 104, 109; store [110, 114))     114
//   12..14 as 4..6, 64 cycles later (done 120, 125, 136)                          136
//   15   3,3   2 B   [125, 126) 136     137    141   8 B    [141, 145)  145
//   (Every tile's first wave is loaded + 1 here: its operands arrive no earlier than the
//   previous tile's done, and its preload follows them.)
//   compute, loaded = 0: first 1, then each tile's done (W = 4 >= R = 1): 1 + 16*4 = 65.
//   cycles 145, busy 4*5 + 12*1 + 4*4 = 48 <= 65: compute-bound.
//   Read 4*10 + 12*2 = 64 B, write 32 B. Repeat 2: cycles 290. Utilization 64 / 145.
//
// Speedups: 70 / 50 = 1.4 and 145 / 50 = 2.9 for each GEMM and for the totals
// (210 / 150, 435 / 150).
//
// FP16 dot-product arrays (docs/energy.md, "The FP16 dot-product PE"), with
// baseline.fp16_dot_lanes = 1 here: a PE of one lane at one FP16 MAC per cycle, timed as the
// one-FMA FP16 PE, so its iso-PE array is the 2 x 2 one above, cycle for cycle. Its area is
// dot_fp16_lane + (48 + 32) register bits = 3.921875 + 80 / 1024 = 4 um^2, as pe_fp16, so its
// iso-area array is the 1 x 1 one above. What differs is the arithmetic: every FP16 product
// costs E(dot_fp16, multiply) in mac and E(dot_fp16, add) in accumulate, in place of
// mac_fp16_fp16 and add_fp32 (64 of each a repeat).
//
// HFP8 iso-PE array, 2 x 2, rate 1 (docs/energy.md, "The HFP8 baseline"). bits 8, bits_acc 16,
// bits_out 16. Load = A 4*2*8/8 = 8 B (fc = 0) + B 2*2*8/8 = 4 B; store 4*2*16/8 = 16 B.
//   tile fc,fr load  channel   loaded  first  done  store  channel   end
//   0    0,0   12 B  [0, 6)    16      18     22    -      -         22
//   1    0,1   12 B  [6, 12)   22      24     28    16 B   [30, 38)  38
//   2    1,0   4 B   [22, 24)  34      36     40    -      -         40
//   3    1,1   4 B   [28, 30)  40      42     46    16 B   [48, 56)  56
//   (load(3), ready at tile 1's done 28, goes before tile 1's store, ready at 30.)
//   cycles 56, compute 18, busy 6+6+2+2+8+8 = 32 > 18: memory-bound. Read 32 B, write 32 B.
//   Repeat 2: cycles 112. Utilization 64 / (56 * 4) = 2/7.
//
// HFP8 iso-area array, 4 x 4, rate 1: one column and one row fold (ru = cu = 4), lat_pipe = 6,
// R = 4. The mapper (docs/timing.md, "The tile mapper") times the candidate blocks 4, 2 and 1:
//   block 4, one tile: load A 4*4*8/8 = 16 B + B 4*4*8/8 = 16 B on [0, 16), loaded 26, first
//     30, done 34; store 4*4*16/8 = 32 B ready 40, on [40, 56): 56 cycles.
//   block 2, two tiles of 2 waves (B loaded once, with tile 0):
//   tile block load  channel   loaded  first  done  store  channel   end
//   0    0     24 B  [0, 12)   22      26     28    16 B   [34, 42)  42
//   1    1     8 B   [12, 16)  26      30     32    16 B   [42, 50)  50
//   (tile 1: max(max(26, 26) + 4, 28) = 30.) 50 cycles: tile 0's store overlaps tile 1.
//   Block 1 (four one-wave tiles) is slower: their loads and 8 B stores queue on the one
//   channel, and tile 1's preload cannot hide behind a one-cycle tile.
//   The mapper takes block 2 (tile 2 x 4 x 4): cycles 50, compute 10 (first 4, 8; done 6, 10),
//   busy 12+4+8+8 = 32 > 10: memory-bound. Read 32 B, write 32 B. Repeat 2: 100.
//   Utilization 64 / (50 * 16) = 2/25.
//
// Action counts (docs/energy.md, "Action counts"), one repeat of one GEMM:
//   pe_move_bits    ws: macs * (bits_A + bits_acc) + preload hops cu*ru*(ru+1)/2 * bits_B
//                   4-bit:    4 tiles x (16 * (4 + 16) + 6 * 4)   = 4 x 344  = 1376
//                   iso-PE:   4 tiles x (16 * (16 + 32) + 6 * 16) = 4 x 864  = 3456
//                   iso-area: 16 tiles x (4 * (16 + 32) + 1 * 16) = 16 x 208 = 3328
//   sram_read_bits  A waves*ru * bits_A + B ru*cu * bits_B + psums waves*cu * bits_acc (fr > 0)
//                   + store bytes * 8
//                   4-bit:    4 x 8 x 4 + 4 x 4 x 4 + 2 x 8 x 16 + 2 x 16 x 8     = 704
//                   iso-PE:   4 x 8 x 16 + 4 x 4 x 16 + 2 x 8 x 32 + 2 x 16 x 8   = 1536
//                   iso-area: 16 x 4 x 16 + 16 x 1 x 16 + 12 x 4 x 32 + 4 x 8 x 8 = 3072
//   sram_write_bits waves*cu * bits_acc per tile + DRAM fill bytes * 8
//                   4-bit:    4 x 8 x 16 + 16 x 8  = 640
//                   iso-PE:   4 x 8 x 32 + 64 x 8  = 1536
//                   iso-area: 16 x 4 x 32 + 64 x 8 = 2560
//   dram bits       read bytes * 8, write bytes * 8: 4-bit 128, 256; both FP16 arrays 512, 256
//   pe_busy_cycles  ru*cu*compute per tile: 4 tiles x 4 x 4 = 64 on the 2 x 2 arrays,
//                   16 tiles x 1 x 4 = 64 on the 1 x 1 array
//   macs_*, acc_adds_*  64 each (int4 / fp4 -> acc fp16; fp16 -> acc fp32); scale_ops 16
//   HFP8 (macs_fp8 64, acc_adds_fp16 64):
//     iso-PE: pe_move 4 x (16 * (8 + 16) + 6 * 8) = 1728; sram_read 4 x 8 x 8 + 4 x 4 x 8 +
//       2 x 8 x 16 + 2 x 16 x 8 = 896; sram_write 4 x 8 x 16 + 32 x 8 = 768; dram 256, 256;
//       busy 64; idle 56*4 - 64 = 160 (320 at repeat 2).
//     iso-area (2 tiles of ru = cu = 4, 2 waves): pe_move 64 * (8 + 16) + 2 x 40 * 8 = 2176
//       (preload hops cu*ru*(ru+1)/2 = 40 a tile); sram_read 2 x 2 x 4 x 8 + 2 x 16 x 8 +
//       32 x 8 = 640; sram_write 2 x 2 x 4 x 16 + 32 x 8 = 512; dram 256, 256; busy
//       2 x 16 x 2 = 64; idle 50*16 - 64 = 736 (1472 at repeat 2).
// Repeats multiply every count by 2; pe_idle_cycles = cycles * R * C - pe_busy_cycles:
//   4-bit 50*4 - 64 = 136 and 100*4 - 128 = 272; iso-PE 70*4 - 64 = 216 and 140*4 - 128 = 432;
//   iso-area 145 - 64 = 81 and 290 - 128 = 162.
//
// Energy with the test's tables (kEnergyRows, kAreaCsv), g_int4 on the 4-bit array: a chunk
// (one product, one lane) costs 50 adder bits / 256 + 85 shifter bit-levels / 128 = 0.859375,
// an FP4 product 51 / 128 + 17 / 256 = 0.46484375; an idle PE-cycle 1 um^2 / 32 (4-bit) or
// 4 um^2 / 32 (FP16).
//   mac 64 x 0.25 + 64 x 0.859375 = 16 + 55 = 71, accumulate 64 x 0.5 = 32, scale 16 x 2 = 32,
//   pe_register 1376 / 64 = 21.5, sram 704 / 16 + 640 / 8 = 124, dram 128 x 4 + 256 x 8 =
//   2560, idle 136 / 32 = 4.25; total 2844.75. On iso-PE (idle 216 x 4 / 32 = 27): 64 + 48 +
//   32 + 54 + 288 + 4096 + 27 = 4609; on iso-area (idle 81 x 4 / 32 = 10.125): 64 + 48 + 32 +
//   52 + 512 + 4096 + 10.125 = 4814.125. g_fp4: 4-bit 128 x 0.46484375 + 128 x 0.859375 =
//   169.5, + 64 + 64 + 43 + 248 + 5120 + 272 / 32 = 5717, iso-PE 2 x 4609 = 9218, iso-area
//   2 x 4814.125 = 9628.25. Energy ratios are FP16 total / 4-bit total, e.g. 4609 / 2844.75.
//   HFP8 (an idle PE-cycle 1/4 um^2 / 32): mac 64 x 0.5 = 32, accumulate 64 x 0.5 = 32, scale
//   32; iso-PE pe_register 1728 / 64 = 27, sram 896 / 16 + 768 / 8 = 152, dram 3072, idle
//   160 / 128 = 1.25: 3348.25; iso-area 2176 / 64 = 34, 640 / 16 + 512 / 8 = 104, 3072,
//   736 / 128 = 5.75: 3311.75. Repeat 2 doubles each: 6696.5 and 6623.5.
//   All table values are exact in binary, so every sum is exact.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using nibble::test::read_file;
using nibble::test::run_command;

const std::string kNibble = NIBBLE_BINARY;

// The energy table: the 14 rows the model reads, values exact in binary and all different, plus
// one row the model must not read (a huge value would show in any total).
struct EnergyRow {
  const char* component;
  const char* action;
  double pj;
};
const std::vector<EnergyRow> kEnergyRows = {{"mult_int4", "multiply", 0.25},
                                            {"shifter", "bit_level", 0.0078125},
                                            {"adder", "bit", 0.00390625},
                                            {"mac_fp8_fp8", "multiply", 0.5},
                                            {"mac_fp16_fp16", "multiply", 1},
                                            {"add_fp16", "accumulate", 0.5},
                                            {"add_fp32", "accumulate", 0.75},
                                            {"scale_unit", "scale", 2},
                                            {"pe_register", "move_bit", 0.015625},
                                            {"sram", "read_bit", 0.0625},
                                            {"sram", "write_bit", 0.125},
                                            {"dram", "read_bit", 4},
                                            {"dram", "write_bit", 8},
                                            {"pe", "leak_um2_cycle", 0.03125},
                                            {"dot_fp16", "multiply", 0.375},
                                            {"dot_fp16", "add", 0.25},
                                            {"pe_int4", "idle_cycle_ungated", 1e6}};

double pj(const std::string& component, const std::string& action) {
  for (const EnergyRow& r : kEnergyRows) {
    if (component == r.component && action == r.action) {
      return r.pj;
    }
  }
  ADD_FAILURE() << "no row " << component << "," << action;
  return 0;
}

std::string energy_csv() {
  std::string csv = "component,action,energy_pj,source\n";
  for (const EnergyRow& r : kEnergyRows) {
    char value[64];
    std::snprintf(value, sizeof value, "%.17g", r.pj);
    csv += std::string(r.component) + "," + r.action + "," + value + ",\"made up, exact\"\n";
  }
  return csv;
}

const char* const kAreaCsv =
    "component,area_um2,source\n"
    "mult_int4,0.25,made up\n"
    "shifter_bit_level,0.0009765625,made up\n"
    "adder_bit,0.0009765625,made up\n"
    "add_fp16,0.5244140625,made up\n"
    "register_bit,0.0009765625,made up\n"
    "pe_fp16,4,made up\n"
    "dot_fp16_lane,3.921875,made up\n"
    "pe_hfp8,0.25,made up\n"
    "sram@256,1024,made up\n"
    "add_fp32,1000,not read\n";

const char* const kTrace =
    "nibble-trace 1\n"
    "workload tiny\n"
    "gemm g_int4 m=4 n=4 k=4 a=int4 b=int4 pass=fwd\n"
    "gemm g_fp4 m=4 n=4 k=4 a=fp4 b=int4 pass=dgrad repeat=2\n";

// Every key that matters spelt out, so a change of a default does not change the numbers.
const char* const kConfig =
    "array: {rows: 2, cols: 2, dataflow: ws}\n"
    "pe: {lanes: 1, fp8_macs_per_cycle: 0.5, fp16_macs_per_cycle: 0.25}\n"
    "sram: {ifmap_kib: 256, filter_kib: 256, ofmap_kib: 256, banks: 1, double_buffered: true}\n"
    "dram: {bandwidth_bytes_per_cycle: 2, latency_cycles: 10}\n"
    "timing: {mode: realistic}\n"
    "baseline: {fp16_dot_lanes: 1}\n"
    "clock_ghz: 0.5\n";

// The counts of docs/energy.md ("Action counts") that have a table row, derived above.
struct Counts {
  int64_t macs_int4 = 0, macs_fp4 = 0, macs_fp8 = 0, macs_fp16 = 0, chunk_sums = 0;
  int64_t acc_adds_fp16 = 0, acc_adds_fp32 = 0, scale_ops = 0, pe_move_bits = 0;
  int64_t sram_read_bits = 0, sram_write_bits = 0, dram_read_bits = 0, dram_write_bits = 0;
  int64_t pe_idle_cycles = 0;
};

struct Energy {
  double mac = 0, accumulate = 0, scale_unit = 0, pe_register = 0, sram = 0, dram = 0, pe_idle = 0;
  double total() const {
    return mac + accumulate + scale_unit + pe_register + sram + dram + pe_idle;
  }
};

double d(int64_t v) { return static_cast<double>(v); }

// docs/energy.md, "From action counts to joules" and "The L-lane PE" (one lane), with the
// test's tables: an FP4 product is 51 shifter bit-levels and 17 adder bits; a chunk (one
// product here) goes through the rounder of a 17-bit sum, 50 adder bits and 85 shifter
// bit-levels; an idle PE-cycle leaks through the PE's area, pe_um2: 1 um^2 (4-bit), 4 um^2
// (FP16) or 1/4 um^2 (HFP8).
Energy energy_of(const Counts& n, double pe_um2, bool dot = false) {
  const double shifter = pj("shifter", "bit_level");
  const double adder = pj("adder", "bit");
  Energy e;
  e.mac = d(n.macs_int4) * pj("mult_int4", "multiply") +
          d(n.macs_fp4) * (51 * shifter + 17 * adder) +
          d(n.chunk_sums) * (50 * adder + 85 * shifter) +
          d(n.macs_fp8) * pj("mac_fp8_fp8", "multiply") +
          d(n.macs_fp16) * pj("mac_fp16_fp16", "multiply");
  e.accumulate = d(n.acc_adds_fp16) * pj("add_fp16", "accumulate") +
                 d(n.acc_adds_fp32) * pj("add_fp32", "accumulate");
  if (dot) {  // the dot-product PE's arithmetic, one multiply and one add per FP16 product
    e.mac = d(n.macs_fp16) * pj("dot_fp16", "multiply");
    e.accumulate = d(n.macs_fp16) * pj("dot_fp16", "add");
  }
  e.scale_unit = d(n.scale_ops) * pj("scale_unit", "scale");
  e.pe_register = d(n.pe_move_bits) * pj("pe_register", "move_bit");
  e.sram =
      d(n.sram_read_bits) * pj("sram", "read_bit") + d(n.sram_write_bits) * pj("sram", "write_bit");
  e.dram =
      d(n.dram_read_bits) * pj("dram", "read_bit") + d(n.dram_write_bits) * pj("dram", "write_bit");
  e.pe_idle = d(n.pe_idle_cycles) * pe_um2 * pj("pe", "leak_um2_cycle");
  return e;
}

// One GEMM on one array, as derived in the header comment.
struct Expected {
  int64_t cycles = 0, compute_cycles = 0, dram_read_bytes = 0, dram_write_bytes = 0;
  double utilization = 0;
  const char* bound = "";
  Energy energy;
};

// The per-tile counts of one repeat times `repeat`, the scale-unit outputs, and the idle
// PE-cycles of all repeats; the caller adds the MAC and accumulator counts of its formats.
Counts counts(int64_t move, int64_t sram_rd, int64_t sram_wr, int64_t dram_rd, int64_t dram_wr,
              int64_t repeat, int64_t idle) {
  Counts c;
  c.pe_move_bits = move * repeat;
  c.sram_read_bits = sram_rd * repeat;
  c.sram_write_bits = sram_wr * repeat;
  c.dram_read_bits = dram_rd * repeat;
  c.dram_write_bits = dram_wr * repeat;
  c.scale_ops = 16 * repeat;
  c.pe_idle_cycles = idle;
  return c;
}

Expected four_bit_int4() {
  Counts c = counts(1376, 704, 640, 128, 256, 1, 136);
  c.macs_int4 = 64;
  c.acc_adds_fp16 = 64;
  c.chunk_sums = 64;
  return {50, 18, 16, 32, 8.0 / 25, "memory", energy_of(c, 1.0)};
}

Expected four_bit_fp4() {
  Counts c = counts(1376, 704, 640, 128, 256, 2, 272);
  c.macs_fp4 = 128;
  c.acc_adds_fp16 = 128;
  c.chunk_sums = 128;
  return {100, 36, 32, 64, 8.0 / 25, "memory", energy_of(c, 1.0)};
}

Expected iso_pe(int64_t repeat, bool dot = false) {
  Counts c = counts(3456, 1536, 1536, 512, 256, repeat, 216 * repeat);
  c.macs_fp16 = 64 * repeat;
  c.acc_adds_fp32 = 64 * repeat;
  return {70 * repeat, 18 * repeat, 64 * repeat,           32 * repeat,
          8.0 / 35,    "memory",    energy_of(c, 4.0, dot)};
}

Expected iso_area(int64_t repeat, bool dot = false) {
  Counts c = counts(3328, 3072, 2560, 512, 256, repeat, 81 * repeat);
  c.macs_fp16 = 64 * repeat;
  c.acc_adds_fp32 = 64 * repeat;
  return {145 * repeat, 65 * repeat, 64 * repeat,           32 * repeat,
          64.0 / 145,   "compute",   energy_of(c, 4.0, dot)};
}

// The HFP8 arrays: every GEMM as FP8, one FP8 MAC per PE-cycle, FP16 accumulation.
Expected hfp8_iso_pe(int64_t repeat) {
  Counts c = counts(1728, 896, 768, 256, 256, repeat, 160 * repeat);
  c.macs_fp8 = 64 * repeat;
  c.acc_adds_fp16 = 64 * repeat;
  return {56 * repeat, 18 * repeat, 32 * repeat,       32 * repeat,
          2.0 / 7,     "memory",    energy_of(c, 0.25)};
}

Expected hfp8_iso_area(int64_t repeat) {
  Counts c = counts(2176, 640, 512, 256, 256, repeat, 736 * repeat);
  c.macs_fp8 = 64 * repeat;
  c.acc_adds_fp16 = 64 * repeat;
  return {50 * repeat, 10 * repeat, 32 * repeat,       32 * repeat,
          2.0 / 25,    "memory",    energy_of(c, 0.25)};
}

void expect_rel(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-12 * std::abs(expected)) << what;
}

void expect_energy(const Json& j, const Energy& e, const std::string& what) {
  SCOPED_TRACE(what);
  expect_rel(j.at("mac").get<double>(), e.mac, "mac");
  expect_rel(j.at("accumulate").get<double>(), e.accumulate, "accumulate");
  expect_rel(j.at("scale_unit").get<double>(), e.scale_unit, "scale_unit");
  expect_rel(j.at("pe_register").get<double>(), e.pe_register, "pe_register");
  expect_rel(j.at("sram").get<double>(), e.sram, "sram");
  expect_rel(j.at("dram").get<double>(), e.dram, "dram");
  expect_rel(j.at("pe_idle").get<double>(), e.pe_idle, "pe_idle");
  expect_rel(j.at("total").get<double>(), e.total(), "total");
}

Energy sum(const Energy& a, const Energy& b) {
  return {a.mac + b.mac,
          a.accumulate + b.accumulate,
          a.scale_unit + b.scale_unit,
          a.pe_register + b.pe_register,
          a.sram + b.sram,
          a.dram + b.dram,
          a.pe_idle + b.pe_idle};
}

class RunCompare : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char templ[] = "/tmp/nibble_run_compare_XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = new fs::path(templ);
    const auto put = [](const std::string& name, const std::string& text) {
      std::ofstream(*dir_ / name) << text;
      return (*dir_ / name).string();
    };
    trace_ = put("tiny.trace", kTrace);
    energy_ = put("energy.csv", energy_csv());
    area_ = put("area.csv", kAreaCsv);
    const std::string config = put("tiny.yaml", kConfig);
    const auto r = run_command(kNibble + " run -q --no-plots --trace " + trace_ + " --config " +
                               config + " --energy " + energy_ + " --area " + area_ + " -o " +
                               (*dir_ / "out").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    report_ = new Json(Json::parse(read_file((*dir_ / "out/report.json").string())));
    layers_ = new std::string(read_file((*dir_ / "out/layers.csv").string()));
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      fs::remove_all(*dir_);
    }
    delete dir_;
    delete report_;
    delete layers_;
    dir_ = nullptr;
    report_ = nullptr;
    layers_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(report_, nullptr) << "nibble run failed"; }

  static fs::path* dir_;
  static Json* report_;
  static std::string* layers_;
  static std::string trace_, energy_, area_;
};

fs::path* RunCompare::dir_ = nullptr;
Json* RunCompare::report_ = nullptr;
std::string* RunCompare::layers_ = nullptr;
std::string RunCompare::trace_;
std::string RunCompare::energy_;
std::string RunCompare::area_;

TEST_F(RunCompare, HandArithmeticOfTheHeaderComment) {
  // The energies quoted in the header comment, from the counts and the table.
  EXPECT_EQ(four_bit_int4().energy.total(), 2844.75);
  EXPECT_EQ(iso_pe(1).energy.total(), 4609.0);
  EXPECT_EQ(iso_area(1).energy.total(), 4814.125);
  EXPECT_EQ(four_bit_fp4().energy.total(), 5717.0);
  EXPECT_EQ(iso_pe(2).energy.total(), 9218.0);
  EXPECT_EQ(iso_area(2).energy.total(), 9628.25);
  // The dot-product arrays: mac 64 x 0.375 = 24 and accumulate 64 x 0.25 = 16 in place of
  // 64 + 48 = 112.
  EXPECT_EQ(iso_pe(1, true).energy.total(), 4609.0 - 112 + 40);
  EXPECT_EQ(iso_area(1, true).energy.total(), 4814.125 - 112 + 40);
  EXPECT_EQ(hfp8_iso_pe(1).energy.total(), 3348.25);
  EXPECT_EQ(hfp8_iso_area(1).energy.total(), 3311.75);
  EXPECT_EQ(hfp8_iso_pe(2).energy.total(), 6696.5);
  EXPECT_EQ(hfp8_iso_area(2).energy.total(), 6623.5);
}

TEST_F(RunCompare, Arrays) {
  const Json& j = *report_;
  EXPECT_EQ(j.at("trace"), trace_);
  EXPECT_EQ(j.at("workload"), "tiny");
  EXPECT_EQ(j.at("energy_table"), energy_);
  EXPECT_EQ(j.at("area_table"), area_);
  const Json& a = j.at("arrays");
  const auto check = [&](const char* name, int64_t rows, int64_t cols, const char* pe,
                         double pe_um2) {
    SCOPED_TRACE(name);
    const Json& x = a.at(name);
    EXPECT_EQ(x.at("rows"), rows);
    EXPECT_EQ(x.at("cols"), cols);
    EXPECT_EQ(x.at("dataflow"), "ws");
    EXPECT_EQ(x.at("pe"), pe);
    expect_rel(x.at("pe_area_um2").get<double>(), pe_um2, "pe_area_um2");
    expect_rel(x.at("pe_array_area_mm2").get<double>(), d(rows * cols) * pe_um2 * 1e-6,
               "pe_array_area_mm2");
  };
  check("int4_fp4", 2, 2, "int4", 1);       // 4 um^2
  check("fp16_iso_pe", 2, 2, "fp16", 4);    // 16 um^2
  check("fp16_iso_area", 1, 1, "fp16", 4);  // 4 um^2, as the 4-bit array
  check("fp16dot_iso_pe", 2, 2, "fp16dot", 4);
  check("fp16dot_iso_area", 1, 1, "fp16dot", 4);
  check("hfp8_iso_pe", 2, 2, "hfp8", 0.25);
  check("hfp8_iso_area", 4, 4, "hfp8", 0.25);  // 4 um^2, as the 4-bit array
  EXPECT_EQ(a.size(), 7U);
  // Three 256 KiB buffers of one bank, each the table's 1024 um^2 256 KiB bank.
  for (const char* name : {"int4_fp4", "fp16_iso_pe", "fp16_iso_area", "fp16dot_iso_pe",
                           "fp16dot_iso_area", "hfp8_iso_pe", "hfp8_iso_area"}) {
    expect_rel(a.at(name).at("sram_area_mm2").get<double>(), 3 * 1024e-6, name);
  }
  EXPECT_EQ(a.at("fp16dot_iso_pe").at("lanes"), 1);
  EXPECT_EQ(a.at("int4_fp4").at("lanes"), 1);
  EXPECT_EQ(a.at("hfp8_iso_area").at("lanes"), 1);
}

TEST_F(RunCompare, PerGemm) {
  const Json& gemms = report_->at("gemms");
  ASSERT_EQ(gemms.size(), 2U);
  const struct {
    Expected four, pe, area, dot_pe, dot_area, hfp8_pe, hfp8_area;
    int64_t macs;
  } want[] = {{four_bit_int4(), iso_pe(1), iso_area(1), iso_pe(1, true), iso_area(1, true),
               hfp8_iso_pe(1), hfp8_iso_area(1), 64},
              {four_bit_fp4(), iso_pe(2), iso_area(2), iso_pe(2, true), iso_area(2, true),
               hfp8_iso_pe(2), hfp8_iso_area(2), 128}};
  for (size_t i = 0; i < 2; ++i) {
    const Json& g = gemms[i];
    const auto& w = want[i];
    SCOPED_TRACE(g.at("name").get<std::string>());
    EXPECT_EQ(g.at("macs"), w.macs);
    EXPECT_EQ(g.at("cycles"), w.four.cycles);
    EXPECT_EQ(g.at("compute_cycles"), w.four.compute_cycles);
    EXPECT_EQ(g.at("stall_cycles"), w.four.cycles - w.four.compute_cycles);
    expect_rel(g.at("utilization").get<double>(), w.four.utilization, "utilization");
    EXPECT_EQ(g.at("bound"), w.four.bound);
    EXPECT_EQ(g.at("dram_read_bytes"), w.four.dram_read_bytes);
    EXPECT_EQ(g.at("dram_write_bytes"), w.four.dram_write_bytes);
    EXPECT_EQ(g.at("tiles"), 4);
    expect_energy(g.at("energy_pj"), w.four.energy, "int4_fp4");
    const auto check_baseline = [&](const char* key, const Expected& b) {
      SCOPED_TRACE(key);
      const Json& x = g.at(key);
      EXPECT_EQ(x.at("cycles"), b.cycles);
      expect_rel(x.at("utilization").get<double>(), b.utilization, "utilization");
      EXPECT_EQ(x.at("bound"), b.bound);
      EXPECT_EQ(x.at("dram_read_bytes"), b.dram_read_bytes);
      EXPECT_EQ(x.at("dram_write_bytes"), b.dram_write_bytes);
      expect_energy(x.at("energy_pj"), b.energy, key);
    };
    check_baseline("fp16_iso_pe", w.pe);
    check_baseline("fp16_iso_area", w.area);
    check_baseline("fp16dot_iso_pe", w.dot_pe);
    check_baseline("fp16dot_iso_area", w.dot_area);
    check_baseline("hfp8_iso_pe", w.hfp8_pe);
    check_baseline("hfp8_iso_area", w.hfp8_area);
    // The tiles: the 2 x 2 array's as the 4-bit one's, the 4 x 4 array's the mapper's block 2.
    EXPECT_EQ(g.at("hfp8_iso_pe").at("tile"), Json({{"m", 4}, {"n", 2}, {"k", 2}}));
    EXPECT_EQ(g.at("hfp8_iso_area").at("tile"), Json({{"m", 2}, {"n", 4}, {"k", 4}}));
    expect_rel(g.at("speedup_hfp8_iso_pe").get<double>(), 56.0 / 50, "speedup_hfp8_iso_pe");
    expect_rel(g.at("speedup_hfp8_iso_area").get<double>(), 1.0, "speedup_hfp8_iso_area");
    expect_rel(g.at("energy_ratio_hfp8_iso_pe").get<double>(),
               w.hfp8_pe.energy.total() / w.four.energy.total(), "energy_ratio_hfp8_iso_pe");
    expect_rel(g.at("energy_ratio_hfp8_iso_area").get<double>(),
               w.hfp8_area.energy.total() / w.four.energy.total(), "energy_ratio_hfp8_iso_area");
    expect_rel(g.at("speedup_dot_iso_pe").get<double>(), 1.4, "speedup_dot_iso_pe");
    expect_rel(g.at("speedup_dot_iso_area").get<double>(), 2.9, "speedup_dot_iso_area");
    expect_rel(g.at("energy_ratio_dot_iso_pe").get<double>(),
               w.dot_pe.energy.total() / w.four.energy.total(), "energy_ratio_dot_iso_pe");
    expect_rel(g.at("energy_ratio_dot_iso_area").get<double>(),
               w.dot_area.energy.total() / w.four.energy.total(), "energy_ratio_dot_iso_area");
    expect_rel(g.at("speedup_iso_pe").get<double>(), 1.4, "speedup_iso_pe");
    expect_rel(g.at("speedup_iso_area").get<double>(), 2.9, "speedup_iso_area");
    expect_rel(g.at("energy_ratio_iso_pe").get<double>(),
               w.pe.energy.total() / w.four.energy.total(), "energy_ratio_iso_pe");
    expect_rel(g.at("energy_ratio_iso_area").get<double>(),
               w.area.energy.total() / w.four.energy.total(), "energy_ratio_iso_area");
  }
}

TEST_F(RunCompare, TotalsAndPasses) {
  const Json& t = report_->at("totals");
  const Energy e4 = sum(four_bit_int4().energy, four_bit_fp4().energy);
  const Energy epe = sum(iso_pe(1).energy, iso_pe(2).energy);
  const Energy earea = sum(iso_area(1).energy, iso_area(2).energy);
  EXPECT_EQ(t.at("gemms"), 2);
  EXPECT_EQ(t.at("macs"), 192);
  EXPECT_EQ(t.at("cycles"), 150);
  expect_rel(t.at("seconds").get<double>(), 150 / 0.5e9, "seconds");
  EXPECT_EQ(t.at("compute_cycles"), 54);
  EXPECT_EQ(t.at("stall_cycles"), 96);
  expect_rel(t.at("utilization").get<double>(), 192.0 / (150 * 4), "utilization");
  EXPECT_EQ(t.at("dram_read_bytes"), 48);
  EXPECT_EQ(t.at("dram_write_bytes"), 96);
  EXPECT_EQ(t.at("memory_bound_gemms"), 2);
  expect_energy(t.at("energy_pj"), e4, "int4_fp4");
  EXPECT_EQ(e4.total(), 8561.75);  // 2844.75 + 5717

  const Json& pe = t.at("fp16_iso_pe");
  EXPECT_EQ(pe.at("cycles"), 210);
  expect_rel(pe.at("utilization").get<double>(), 192.0 / (210 * 4), "iso-PE utilization");
  EXPECT_EQ(pe.at("memory_bound_gemms"), 2);
  EXPECT_EQ(pe.at("dram_read_bytes"), 192);
  EXPECT_EQ(pe.at("dram_write_bytes"), 96);
  expect_energy(pe.at("energy_pj"), epe, "fp16_iso_pe");
  EXPECT_EQ(epe.total(), 13827.0);  // 4609 + 9218

  const Json& area = t.at("fp16_iso_area");
  EXPECT_EQ(area.at("cycles"), 435);
  expect_rel(area.at("utilization").get<double>(), 192.0 / 435, "iso-area utilization");
  EXPECT_EQ(area.at("memory_bound_gemms"), 0);
  EXPECT_EQ(area.at("dram_read_bytes"), 192);
  EXPECT_EQ(area.at("dram_write_bytes"), 96);
  expect_energy(area.at("energy_pj"), earea, "fp16_iso_area");
  EXPECT_EQ(earea.total(), 14442.375);  // 4814.125 + 9628.25

  expect_rel(t.at("speedup_iso_pe").get<double>(), 210.0 / 150, "speedup_iso_pe");
  expect_rel(t.at("speedup_iso_area").get<double>(), 435.0 / 150, "speedup_iso_area");
  expect_rel(t.at("energy_ratio_iso_pe").get<double>(), 13827.0 / 8561.75, "energy_ratio_iso_pe");
  expect_rel(t.at("energy_ratio_iso_area").get<double>(), 14442.375 / 8561.75,
             "energy_ratio_iso_area");

  // Dot-product arrays: the same cycles, 3 x 72 = 216 pJ less (repeats 1 and 2).
  EXPECT_EQ(t.at("fp16dot_iso_pe").at("cycles"), 210);
  EXPECT_EQ(t.at("fp16dot_iso_area").at("cycles"), 435);
  expect_energy(t.at("fp16dot_iso_pe").at("energy_pj"),
                sum(iso_pe(1, true).energy, iso_pe(2, true).energy), "fp16dot_iso_pe");
  expect_rel(t.at("speedup_dot_iso_area").get<double>(), 435.0 / 150, "speedup_dot_iso_area");
  expect_rel(t.at("energy_ratio_dot_iso_pe").get<double>(), (13827.0 - 216) / 8561.75,
             "energy_ratio_dot_iso_pe");
  expect_rel(t.at("energy_ratio_dot_iso_area").get<double>(), (14442.375 - 216) / 8561.75,
             "energy_ratio_dot_iso_area");

  // HFP8 arrays: 56 + 112 and 50 + 100 cycles.
  const Json& hpe = t.at("hfp8_iso_pe");
  EXPECT_EQ(hpe.at("cycles"), 168);
  expect_rel(hpe.at("utilization").get<double>(), 192.0 / (168 * 4), "HFP8 iso-PE utilization");
  EXPECT_EQ(hpe.at("memory_bound_gemms"), 2);
  EXPECT_EQ(hpe.at("dram_read_bytes"), 96);
  EXPECT_EQ(hpe.at("dram_write_bytes"), 96);
  expect_energy(hpe.at("energy_pj"), sum(hfp8_iso_pe(1).energy, hfp8_iso_pe(2).energy),
                "hfp8_iso_pe");
  const Json& harea = t.at("hfp8_iso_area");
  EXPECT_EQ(harea.at("cycles"), 150);
  expect_rel(harea.at("utilization").get<double>(), 192.0 / (150 * 16),
             "HFP8 iso-area utilization");
  expect_energy(harea.at("energy_pj"), sum(hfp8_iso_area(1).energy, hfp8_iso_area(2).energy),
                "hfp8_iso_area");
  expect_rel(t.at("speedup_hfp8_iso_pe").get<double>(), 168.0 / 150, "speedup_hfp8_iso_pe");
  expect_rel(t.at("speedup_hfp8_iso_area").get<double>(), 1.0, "speedup_hfp8_iso_area");
  expect_rel(t.at("energy_ratio_hfp8_iso_pe").get<double>(), (3348.25 + 6696.5) / 8561.75,
             "energy_ratio_hfp8_iso_pe");
  expect_rel(t.at("energy_ratio_hfp8_iso_area").get<double>(), (3311.75 + 6623.5) / 8561.75,
             "energy_ratio_hfp8_iso_area");

  // One GEMM per pass: each pass is that GEMM.
  const Json& passes = report_->at("passes");
  ASSERT_EQ(passes.size(), 2U);
  const struct {
    const char* pass;
    Expected four, pe, area;
  } per_pass[] = {{"fwd", four_bit_int4(), iso_pe(1), iso_area(1)},
                  {"dgrad", four_bit_fp4(), iso_pe(2), iso_area(2)}};
  for (const auto& p : per_pass) {
    SCOPED_TRACE(p.pass);
    const Json& x = passes.at(p.pass);
    EXPECT_EQ(x.at("gemms"), 1);
    EXPECT_EQ(x.at("cycles"), p.four.cycles);
    EXPECT_EQ(x.at("compute_cycles"), p.four.compute_cycles);
    expect_rel(x.at("seconds").get<double>(), d(p.four.cycles) / 0.5e9, "seconds");
    expect_energy(x.at("energy_pj"), p.four.energy, "int4_fp4");
    EXPECT_EQ(x.at("fp16_iso_pe").at("cycles"), p.pe.cycles);
    EXPECT_EQ(x.at("fp16_iso_area").at("cycles"), p.area.cycles);
    expect_energy(x.at("fp16_iso_pe").at("energy_pj"), p.pe.energy, "fp16_iso_pe");
    expect_energy(x.at("fp16_iso_area").at("energy_pj"), p.area.energy, "fp16_iso_area");
    expect_rel(x.at("speedup_iso_pe").get<double>(), 1.4, "speedup_iso_pe");
    expect_rel(x.at("speedup_iso_area").get<double>(), 2.9, "speedup_iso_area");
    expect_rel(x.at("energy_ratio_iso_area").get<double>(),
               p.area.energy.total() / p.four.energy.total(), "energy_ratio_iso_area");
  }
}

TEST_F(RunCompare, LayersCsvRows) {
  std::istringstream in(*layers_);
  std::string header, row;
  ASSERT_TRUE(std::getline(in, header));
  const std::vector<Expected> four = {four_bit_int4(), four_bit_fp4()};
  const std::vector<Expected> pe = {iso_pe(1), iso_pe(2)};
  const std::vector<Expected> area = {iso_area(1), iso_area(2)};
  const std::vector<Expected> dot_pe = {iso_pe(1, true), iso_pe(2, true)};
  const std::vector<Expected> dot_area = {iso_area(1, true), iso_area(2, true)};
  const std::vector<Expected> hfp8_pe = {hfp8_iso_pe(1), hfp8_iso_pe(2)};
  const std::vector<Expected> hfp8_area = {hfp8_iso_area(1), hfp8_iso_area(2)};
  const std::vector<std::string> heads = {"g_int4,fwd,4,4,4,int4,int4,fp16,1,64,50,18,32,",
                                          "g_fp4,dgrad,4,4,4,fp4:p0,int4,fp16,2,128,100,36,64,"};
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(std::getline(in, row));
    SCOPED_TRACE(row);
    // name .. stall_cycles, then the numbers from utilization on.
    ASSERT_EQ(row.rfind(heads[i], 0), 0U);
    std::vector<std::string> cells(1);
    for (char ch : row.substr(heads[i].size())) {
      if (ch == ',') {
        cells.emplace_back();
      } else {
        cells.back() += ch;
      }
    }
    ASSERT_EQ(cells.size(), 35U);
    // Timing-only: no output CRC, so no match either (empty cells).
    EXPECT_EQ(cells[33], "");
    EXPECT_EQ(cells[34], "");
    const auto num = [&](size_t k) { return std::strtod(cells[k].c_str(), nullptr); };
    expect_rel(num(0), 8.0 / 25, "utilization");
    EXPECT_EQ(cells[1], "memory");
    EXPECT_EQ(cells[2], std::to_string(four[i].dram_read_bytes));
    EXPECT_EQ(cells[3], std::to_string(four[i].dram_write_bytes));
    EXPECT_EQ(cells[4], "4");
    // The tile: ws streams M in blocks of 4 (the whole M, "waves 4" above) over the 2 x 2
    // array's N = 2 columns and K = 2 rows.
    EXPECT_EQ(cells[5], "4");
    EXPECT_EQ(cells[6], "2");
    EXPECT_EQ(cells[7], "2");
    expect_rel(num(8), four[i].energy.total(), "energy_pj");
    EXPECT_EQ(cells[9], std::to_string(pe[i].cycles));
    expect_rel(num(10), pe[i].energy.total(), "fp16_iso_pe_energy_pj");
    EXPECT_EQ(cells[11], std::to_string(area[i].cycles));
    expect_rel(num(12), area[i].energy.total(), "fp16_iso_area_energy_pj");
    EXPECT_EQ(cells[13], "1.4");
    EXPECT_EQ(cells[14], "2.9");
    expect_rel(num(15), pe[i].energy.total() / four[i].energy.total(), "energy_ratio_iso_pe");
    expect_rel(num(16), area[i].energy.total() / four[i].energy.total(), "energy_ratio_iso_area");
    EXPECT_EQ(cells[17], std::to_string(dot_pe[i].cycles));
    expect_rel(num(18), dot_pe[i].energy.total(), "fp16dot_iso_pe_energy_pj");
    EXPECT_EQ(cells[19], std::to_string(dot_area[i].cycles));
    expect_rel(num(20), dot_area[i].energy.total(), "fp16dot_iso_area_energy_pj");
    EXPECT_EQ(cells[21], "1.4");
    EXPECT_EQ(cells[22], "2.9");
    expect_rel(num(23), dot_pe[i].energy.total() / four[i].energy.total(),
               "energy_ratio_dot_iso_pe");
    expect_rel(num(24), dot_area[i].energy.total() / four[i].energy.total(),
               "energy_ratio_dot_iso_area");
    EXPECT_EQ(cells[25], std::to_string(hfp8_pe[i].cycles));
    expect_rel(num(26), hfp8_pe[i].energy.total(), "hfp8_iso_pe_energy_pj");
    EXPECT_EQ(cells[27], std::to_string(hfp8_area[i].cycles));
    expect_rel(num(28), hfp8_area[i].energy.total(), "hfp8_iso_area_energy_pj");
    EXPECT_EQ(cells[29], "1.12");
    EXPECT_EQ(cells[30], "1.0");
    expect_rel(num(31), hfp8_pe[i].energy.total() / four[i].energy.total(),
               "energy_ratio_hfp8_iso_pe");
    expect_rel(num(32), hfp8_area[i].energy.total() / four[i].energy.total(),
               "energy_ratio_hfp8_iso_area");
  }
  EXPECT_FALSE(std::getline(in, row));
}

}  // namespace
