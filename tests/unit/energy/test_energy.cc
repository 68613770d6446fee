// Tests of the energy model (model/energy/energy.{h,cc}): the table readers against the shipped
// tables and every malformed-input path; energy_of against arithmetic written out by hand; that
// changing one table row changes exactly the components that depend on it; and one tiny GEMM
// from time_gemm to pJ, checked with the shipped table read by a separate parser written here.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "model/energy/baseline.h"
#include "model/energy/energy.h"
#include "model/frontend/input_error.h"
#include "model/numerics/format.h"
#include "model/timing/arch_spec.h"
#include "model/timing/realistic.h"
#include "model/workload/gemm_spec.h"
#include "tests/one_lane_pe.h"

namespace {

using nibble::energy::AreaTable;
using nibble::energy::EnergyBreakdown;
using nibble::energy::EnergyRow;
using nibble::energy::EnergyTable;
using nibble::energy::PeDesign;
using nibble::energy::PeKind;
using nibble::frontend::InputError;
using nibble::num::Format;
using nibble::timing::ActionCounts;
using nibble::timing::ArchSpec;
using nibble::timing::Dataflow;
using nibble::timing::TimingMode;
using nibble::workload::FormatSpec;
using nibble::workload::GemmSpec;

const std::string kSource = NIBBLE_SOURCE_DIR;
const std::string kShippedEnergy = kSource + "/configs/energy/default_45nm.csv";
const std::string kShippedArea = kSource + "/configs/area/default_45nm.csv";
const std::string kHeader = "component,action,energy_pj,source\n";
const std::string kAreaHeader = "component,area_um2,source\n";

// The 16 rows the model needs, with made-up energies that are exact in binary, so sums of
// products of them with small integers are exact whatever the order. (The order keeps the rows'
// line numbers, which the error tests below name.)
struct Row {
  std::string component, action, energy;
};
const std::vector<Row> kMadeUp = {
    {"mult_int4", "multiply", "0.5"},    {"shifter", "bit_level", "0.25"},
    {"mac_fp8_fp8", "multiply", "0.75"}, {"mac_fp16_fp16", "multiply", "2"},
    {"add_fp16", "accumulate", "0.375"}, {"add_fp32", "accumulate", "1.5"},
    {"scale_unit", "scale", "1.25"},     {"pe_register", "move_bit", "0.0625"},
    {"sram", "read_bit", "0.125"},       {"sram", "write_bit", "0.1875"},
    {"dram", "read_bit", "4"},           {"dram", "write_bit", "6"},
    {"adder", "bit", "0.125"},           {"pe", "leak_um2_cycle", "0.03125"},
    {"dot_fp16", "multiply", "0.625"},   {"dot_fp16", "add", "0.875"},
};

std::string table_text(const std::vector<Row>& rows) {
  std::string text = kHeader;
  for (const Row& r : rows) {
    text += r.component + "," + r.action + "," + r.energy + ",made up for the test\n";
  }
  return text;
}

// The made-up table with extra text appended after its rows.
std::string made_up_plus(const std::string& extra) { return table_text(kMadeUp) + extra; }

// The rows the area model needs: the eight of the PEs and one SRAM point.
const std::string kAreaRows =
    "mult_int4,70.5,x\nshifter_bit_level,1.6,x\nadder_bit,4.5,x\nadd_fp16,1360,x\n"
    "register_bit,5.98,x\npe_fp16,6303,x\ndot_fp16_lane,4076.8,x\npe_hfp8,1840.7,x\nsram@64,65536,"
    "x\n";

// The scratchpads energy_of prices: the made-up table's SRAM rows are plain (one point), so
// every size costs the same.
const nibble::timing::SramSpec kSram;

// Every count non-zero and distinct (primes).
ActionCounts all_counts() {
  ActionCounts c;
  c.macs_int4 = 3;
  c.macs_fp4 = 5;
  c.macs_fp8 = 7;
  c.macs_fp16 = 11;
  c.acc_adds_fp16 = 13;
  c.acc_adds_fp32 = 17;
  c.scale_ops = 19;
  c.pe_move_bits = 23;
  c.ifmap_read_bits = 29;
  c.ifmap_write_bits = 31;
  c.filter_read_bits = 59;
  c.filter_write_bits = 61;
  c.ofmap_read_bits = 67;
  c.ofmap_write_bits = 71;
  c.dram_read_bits = 37;
  c.dram_write_bits = 41;
  c.pe_busy_cycles = 43;
  c.pe_idle_cycles = 47;
  c.chunk_sums = 53;
  return c;
}

// Parses `text` as an energy (or area) table and expects an InputError at `line` whose message
// contains every one of `parts`.
template <typename Table>
void expect_error(const std::string& text, int line, const std::vector<std::string>& parts) {
  try {
    Table::parse(text, "t.csv");
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "t.csv");
    EXPECT_EQ(e.line(), line) << e.what();
    const std::string prefix = line > 0 ? "t.csv:" + std::to_string(line) + ": " : "t.csv: ";
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' not in: " << e.what();
    }
  }
}

void expect_energy_error(const std::string& text, int line, const std::vector<std::string>& p) {
  expect_error<EnergyTable>(text, line, p);
}

void expect_area_error(const std::string& text, int line, const std::vector<std::string>& p) {
  expect_error<AreaTable>(text, line, p);
}

// --- Reading the tables ------------------------------------------------------------------------

TEST(EnergyTable, ShippedTableParses) {
  const EnergyTable t = EnergyTable::read_file(kShippedEnergy);
  ASSERT_EQ(t.rows().size(), 20u);
  EXPECT_EQ(t.rows()[0].component, "mult_int4");
  EXPECT_EQ(t.rows()[0].action, "multiply");
  EXPECT_EQ(t.rows()[0].line, 2);
  EXPECT_EQ(t.pj("mult_int4", "multiply"), 0.05);
  EXPECT_EQ(t.pj("shifter", "bit_level"), 0.00237);
  EXPECT_EQ(t.pj("adder", "bit"), 0.00375);
  // Horowitz's 64-bit cache reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ, per bit. Between
  // the points log-log: at 256 KiB 20 x 8^(ln 5 / ln 32) = 52.5 pJ per 64 bits; beyond 1 MiB
  // the 32 KiB - 1 MiB line continues: 100 x 2^(ln 5 / ln 32) = 138 pJ at 2 MiB; below 8 KiB
  // the 8 KiB point holds: 10 pJ at 4 KiB.
  EXPECT_EQ(t.sram_bit_pj("read_bit", 8), 10.0 / 64);
  EXPECT_EQ(t.sram_bit_pj("read_bit", 32), 20.0 / 64);
  EXPECT_EQ(t.sram_bit_pj("write_bit", 1024), 100.0 / 64);
  EXPECT_NEAR(t.sram_bit_pj("read_bit", 256) * 64, 52.53, 0.01);
  EXPECT_NEAR(t.sram_bit_pj("read_bit", 16) * 64, 14.142, 0.001);  // 10 x sqrt(2)
  EXPECT_NEAR(t.sram_bit_pj("read_bit", 2048) * 64, 137.97, 0.01);
  EXPECT_EQ(t.sram_bit_pj("read_bit", 4), 10.0 / 64);
  // A 256 KiB buffer in 256 banks of 1 KiB costs what the 8 KiB point does, no less.
  EXPECT_EQ(nibble::energy::sram_bit_pj(t, "read_bit", 256, 256), 10.0 / 64);
  EXPECT_THROW(t.pj("sram", "read_bit"), std::out_of_range);
  EXPECT_EQ(t.pj("dram", "write_bit"), 20.3);
  EXPECT_EQ(t.pj("pe", "leak_um2_cycle"), 0.000012);
  // The quoted source keeps its commas; the unquoted one (sram@8 write_bit) reads as written.
  EXPECT_EQ(t.rows()[0].source.rfind("Derived. One lane's 4x4 integer multiplier", 0), 0u);
  EXPECT_EQ(t.rows()[14].source,
            "Assumption: write = read (Horowitz gives reads only); value as sram@8 read_bit. "
            "Confidence: low-medium.");
  EXPECT_TRUE(t.unused_rows().empty());
  EXPECT_THROW(t.pj("sram", "refresh"), std::out_of_range);
}

TEST(EnergyAreaTable, ShippedTableParses) {
  const AreaTable t = AreaTable::read_file(kShippedArea);
  // The one-lane 4-bit PE by hand (docs/energy.md, "The L-lane PE"): lane 70.5 + 51 x 1.6 +
  // 17 x 4.5 = 228.6; no tree; rounder of 17 bits 50 x 4.5 + 85 x 1.6 = 361; FP16 add 1360;
  // 28 register bits x 5.98 = 167.44: 2117.04 um^2.
  EXPECT_DOUBLE_EQ(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kInt4, 1}), 2117.04);
  EXPECT_EQ(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kFp16, 1}), 6303.0);
  EXPECT_EQ(t.um2("register_bit"), 5.98);
  EXPECT_EQ(t.unused_components(), (std::vector<std::string>{"add_fp32", "mult_fp16"}));
  EXPECT_THROW(t.um2("pe_fp8"), std::out_of_range);
  // The FP16 dot-product PE by hand (docs/energy.md, "The FP16 dot-product PE"): L16 lanes of
  // 0.70 x (1640 + 4184) = 4076.8 and 48 L16 + 32 register bits of 5.98.
  EXPECT_EQ(t.um2("dot_fp16_lane"), 4076.8);
  EXPECT_NEAR(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kFp16Dot, 1}), 4555.2, 1e-9);
  EXPECT_NEAR(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kFp16Dot, 4}), 17646.72, 1e-9);
  EXPECT_NEAR(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kFp16Dot, 16}), 70012.8, 1e-9);
  EXPECT_THROW(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kFp16Dot, 65}),
               std::invalid_argument);
}

TEST(EnergyTable, MadeUpTableParses) {
  const EnergyTable t = EnergyTable::parse(table_text(kMadeUp), "t.csv");
  EXPECT_EQ(t.rows().size(), kMadeUp.size());
  EXPECT_EQ(t.pj("dram", "write_bit"), 6.0);
  EXPECT_EQ(t.rows().back().line, 17);
  EXPECT_TRUE(t.unused_rows().empty());
}

TEST(EnergyTable, MissingFileAndDirectory) {
  try {
    EnergyTable::read_file(kSource + "/no/such/table.csv");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_NE(std::string(e.what()).find("cannot open an energy table"), std::string::npos);
  }
  try {
    AreaTable::read_file(kSource + "/configs");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_NE(std::string(e.what()).find("is a directory, not an area table"), std::string::npos);
  }
}

TEST(EnergyTable, HeaderErrors) {
  expect_energy_error("", 0, {"no header", "component,action,energy_pj,source"});
  expect_energy_error("# only a comment\n\n", 0, {"no header"});
  expect_energy_error("component,action,energy,source\n", 1,
                      {"expected the header \"component,action,energy_pj,source\"",
                       "got \"component,action,energy,source\""});
  // Comments and blank lines may come first; the header is then on a later line.
  expect_energy_error("# energies\n\ncomponent,action,energy_pj\n", 3,
                      {"expected the header", "got \"component,action,energy_pj\""});
  // The header is not a data row: a table without it fails on its first row.
  expect_energy_error("sram,read_bit,0.5,x\n", 1, {"expected the header", "sram,read_bit,0.5,x"});
  // An area header in an energy table, and the other way round.
  expect_energy_error(kAreaHeader, 1, {"got \"component,area_um2,source\""});
  expect_area_error(kHeader, 1, {"expected the header \"component,area_um2,source\""});
}

TEST(EnergyTable, FieldCountErrors) {
  expect_energy_error(
      made_up_plus("sram,read_bit,0.5\n"), 18,
      {"expected 4 fields (component,action,energy_pj,source), got 3", "\"sram,read_bit,0.5\""});
  expect_energy_error(made_up_plus("sram,read_bit,0.5,src,\n"), 18,
                      {"expected 4 fields", "got 5", "\"sram,read_bit,0.5,src,\""});
  // An unquoted comma in the source splits it.
  expect_energy_error(made_up_plus("x,y,1,Horowitz, ISSCC 2014\n"), 18, {"got 5"});
  expect_area_error(kAreaHeader + kAreaRows + "pe_fp8,100\n", 11,
                    {"expected 3 fields (component,area_um2,source), got 2", "\"pe_fp8,100\""});
}

TEST(EnergyTable, QuoteErrors) {
  expect_energy_error(
      made_up_plus("x,y,1,\"Horowitz, ISSCC\n2014\n"), 18,
      {"unterminated quoted field 4", R"(expected a closing '"')", R"(in ""Horowitz, ISSCC...")"});
  expect_energy_error(made_up_plus("x,y,1,src \"quoted\"\n"), 18,
                      {R"('"' inside unquoted field 4)", R"("src "quoted"")",
                       "expected the whole field in quotes"});
  expect_energy_error(
      made_up_plus("x,y,1,\"Horowitz\" 2014\n"), 18,
      {"expected ',' or the end of the line after the closing quote of field 4", "got \" 2014\""});
  // The line of an error after a multi-line quoted field counts the lines inside it.
  expect_energy_error(made_up_plus("x,y,1,\"a\nb\nc\"\nz,w,-1,src\n"), 21,
                      {"non-negative", "\"-1\""});
}

TEST(EnergyTable, NumberErrors) {
  const auto bad = [](const std::string& value, const std::string& expected) {
    expect_energy_error(made_up_plus("x,y," + value + ",src\n"), 18,
                        {expected, "energy_pj", "got \"" + value + "\""});
  };
  bad("abc", "expected a number");
  bad("", "expected a number");
  bad("0.5pJ", "expected a number");
  bad(" 0.5", "expected a number");
  bad("0.5 ", "expected a number");
  bad("+0.5", "expected a number");
  bad("-0.1", "expected a non-negative number");
  bad("-0", "expected a non-negative number");
  bad("inf", "expected a finite number");
  bad("nan", "expected a finite number");
  bad("1e999", "expected a finite number");
  // A decimal comma, quoted so that it stays one field.
  expect_energy_error(made_up_plus("x,y,\"0,5\",src\n"), 18, {"expected a number", "got \"0,5\""});
  expect_area_error(kAreaHeader + kAreaRows + "mult,0,x\n", 11,
                    {"expected a positive number (area_um2", "got \"0\""});
  expect_area_error(kAreaHeader + kAreaRows + "mult,-3,x\n", 11, {"positive", "got \"-3\""});
  expect_area_error(kAreaHeader + "pe_int4,big,x\n", 2, {"expected a number", "got \"big\""});
}

TEST(EnergyTable, NameErrors) {
  expect_energy_error(made_up_plus(",read_bit,1,src\n"), 18,
                      {"expected a component name", "got \"\""});
  expect_energy_error(made_up_plus("sram,,1,src\n"), 18, {"expected an action name", "got \"\""});
  expect_energy_error(made_up_plus("sram ,read_bit,1,src\n"), 18,
                      {"expected a component name (letters, digits and '_'", "got \"sram \""});
  expect_energy_error(made_up_plus("sram,read bit,1,src\n"), 18, {"got \"read bit\""});
  expect_area_error(kAreaHeader + "\"\",1,x\n", 2, {"expected a component name", "got \"\""});
}

TEST(EnergyTable, DuplicateErrors) {
  expect_energy_error(made_up_plus("\nsram,read_bit,0.5,again\n"), 19,
                      {"duplicate row (sram, read_bit)", "first at line 10"});
  // The same component with another action, or the same action elsewhere, is not a duplicate.
  EXPECT_NO_THROW(
      EnergyTable::parse(made_up_plus("sram,refresh_bit,1,x\nfoo,read_bit,1,x\n"), "t"));
  expect_area_error(kAreaHeader + kAreaRows + "mult_int4,1,x\n", 11,
                    {"duplicate component mult_int4", "first at line 2"});
}

// The made-up table with its plain SRAM rows (lines 10 and 11) replaced by `sram` text.
std::string made_up_with_sram(const std::string& sram) {
  std::vector<Row> rows;
  for (const Row& r : kMadeUp) {
    if (r.component != "sram") {
      rows.push_back(r);
    }
  }
  return table_text(rows) + sram;
}

TEST(SramCurve, PointsByCapacityInterpolateLogLog) {
  // read: 1 pJ/bit at 4 KiB, 4 at 64 KiB (a slope of 1/2 in log-log), 8 at 1024 KiB (1/4).
  const EnergyTable t = EnergyTable::parse(
      made_up_with_sram("sram@64,read_bit,4,x\nsram@4,read_bit,1,x\nsram@1024,read_bit,8,x\n"
                        "sram@0.5,write_bit,2,x\n"),
      "t");
  EXPECT_EQ(t.sram_bit_pj("read_bit", 4), 1.0);
  EXPECT_EQ(t.sram_bit_pj("read_bit", 64), 4.0);
  EXPECT_DOUBLE_EQ(t.sram_bit_pj("read_bit", 16), 2.0);                  // 1 x (16 / 4)^(1/2)
  EXPECT_DOUBLE_EQ(t.sram_bit_pj("read_bit", 256), 4 * std::sqrt(2.0));  // 4 x (256 / 64)^(1/4)
  EXPECT_EQ(t.sram_bit_pj("read_bit", 1), 1.0);              // below: the first point holds
  EXPECT_DOUBLE_EQ(t.sram_bit_pj("read_bit", 16384), 16.0);  // above: the last one's
  EXPECT_EQ(t.sram_bit_pj("write_bit", 1), 2.0);             // one point: every capacity
  EXPECT_EQ(t.sram_bit_pj("write_bit", 1e6), 2.0);
  EXPECT_THROW(t.sram_bit_pj("read_bit", 0), std::invalid_argument);
  EXPECT_THROW(nibble::energy::sram_bit_pj(t, "read_bit", 256, 0), std::invalid_argument);
  // A zero point has no logarithm: its segments take the nearer end's value.
  const EnergyTable z = EnergyTable::parse(
      made_up_with_sram("sram@4,read_bit,0,x\nsram@64,read_bit,4,x\nsram,write_bit,1,x\n"), "z");
  EXPECT_EQ(z.sram_bit_pj("read_bit", 8), 0.0);   // log distance 0.69 to 4, 2.08 to 64
  EXPECT_EQ(z.sram_bit_pj("read_bit", 32), 4.0);  // 2.08 to 4, 0.69 to 64
  // A buffer of 256 KiB in 4 banks is priced as a bank of 64 KiB.
  EXPECT_EQ(nibble::energy::sram_bit_pj(t, "read_bit", 256, 4), 4.0);
  // energy_of prices each buffer at its own size.
  nibble::timing::SramSpec sram;
  sram.ifmap_kib = 4, sram.filter_kib = 64, sram.ofmap_kib = 16, sram.banks = 1;
  ActionCounts c;
  c.ifmap_read_bits = 3, c.filter_read_bits = 5, c.ofmap_read_bits = 7, c.ofmap_write_bits = 11;
  EXPECT_DOUBLE_EQ(nibble::energy::energy_of(c, t, PeDesign{PeKind::kInt4, 4}, 100.0, sram).sram_pj,
                   3 * 1.0 + 5 * 4.0 + 7 * 2.0 + 11 * 2.0);
}

// energy::set_mapper_energy (docs/timing.md, "The tile mapper"): each count a tiling changes
// priced as energy_of prices it for this PE and these buffers; the others 0.
TEST(MapperEnergy, PricesTheCountsATilingChanges) {
  const EnergyTable t = EnergyTable::parse(
      made_up_with_sram("sram@4,read_bit,1,x\nsram@64,read_bit,4,x\nsram,write_bit,2,x\n"), "t");
  ArchSpec arch;
  arch.sram.ifmap_kib = 4, arch.sram.filter_kib = 64, arch.sram.ofmap_kib = 16;
  arch.sram.banks = 1;
  nibble::energy::set_mapper_energy(arch, t, PeDesign{PeKind::kInt4, 4}, 100.0);
  ASSERT_EQ(arch.tiling.action_pj.size(), static_cast<size_t>(nibble::timing::kActionCountFields));
  ActionCounts probe;
  const auto fields = nibble::timing::count_fields(probe);
  const auto price = [&](int64_t ActionCounts::*count) {
    const auto at = std::find(fields.begin(), fields.end(), &(probe.*count));
    return arch.tiling.action_pj[static_cast<size_t>(at - fields.begin())];
  };
  EXPECT_EQ(price(&ActionCounts::pe_move_bits), 0.0625);
  EXPECT_EQ(price(&ActionCounts::ifmap_read_bits), 1.0);         // a 4 KiB bank
  EXPECT_EQ(price(&ActionCounts::filter_read_bits), 4.0);        // 64 KiB
  EXPECT_DOUBLE_EQ(price(&ActionCounts::ofmap_read_bits), 2.0);  // 16 KiB: 1 x 4^(1/2)
  EXPECT_EQ(price(&ActionCounts::ifmap_write_bits), 2.0);
  EXPECT_EQ(price(&ActionCounts::ofmap_write_bits), 2.0);
  EXPECT_EQ(price(&ActionCounts::dram_read_bits), 4.0);
  EXPECT_EQ(price(&ActionCounts::dram_write_bits), 6.0);
  EXPECT_EQ(price(&ActionCounts::pe_idle_cycles), 100 * 0.03125);  // the PE's area x leakage
  for (int64_t ActionCounts::*same :
       {&ActionCounts::macs_int4, &ActionCounts::macs_fp4, &ActionCounts::chunk_sums,
        &ActionCounts::acc_adds_fp16, &ActionCounts::scale_ops, &ActionCounts::pe_busy_cycles}) {
    EXPECT_EQ(price(same), 0.0);
  }
  // In 4 banks the filter buffer is four 16 KiB banks.
  arch.sram.banks = 4;
  nibble::energy::set_mapper_energy(arch, t, PeDesign{PeKind::kInt4, 4}, 100.0);
  EXPECT_DOUBLE_EQ(price(&ActionCounts::filter_read_bits), 2.0);
}

TEST(SramCurve, BadRows) {
  expect_energy_error(made_up_with_sram("sram@x,read_bit,1,x\nsram,write_bit,1,x\n"), 16,
                      {"expected a number (the KiB of sram@<KiB>)", "got \"x\""});
  expect_energy_error(made_up_with_sram("sram@0,read_bit,1,x\nsram,write_bit,1,x\n"), 16,
                      {"positive", "got \"0\""});
  expect_energy_error(made_up_with_sram("sram@,read_bit,1,x\nsram,write_bit,1,x\n"), 16,
                      {"expected a number"});
  // Plain and per-capacity rows of one action do not mix, in either order.
  expect_energy_error(
      made_up_with_sram("sram,read_bit,1,x\nsram@8,read_bit,1,x\nsram,write_bit,1,x\n"), 17,
      {"an SRAM read_bit row besides line 16", "not both"});
  expect_energy_error(
      made_up_with_sram("sram@8,read_bit,1,x\nsram,read_bit,1,x\nsram,write_bit,1,x\n"), 17,
      {"besides line 16"});
  // Two points at one capacity (8 and 8.0 KiB).
  expect_energy_error(
      made_up_with_sram("sram@8,read_bit,1,x\nsram@8.0,read_bit,2,x\nsram,write_bit,1,x\n"), 17,
      {"a second SRAM point at the same capacity"});
  // An action of the curve missing altogether.
  expect_energy_error(made_up_with_sram("sram@8,read_bit,1,x\n"), 0,
                      {"(sram or sram@<KiB>, write_bit)"});
  // Area: an sram@ row is a bank's area; two at one capacity, a bad capacity, none at all.
  const std::string pe_rows =
      "mult_int4,70.5,x\nshifter_bit_level,1.6,x\nadder_bit,4.5,x\nadd_fp16,1360,x\n"
      "register_bit,5.98,x\npe_fp16,6303,x\ndot_fp16_lane,4076.8,x\npe_hfp8,1840.7,x\n";
  expect_area_error(kAreaHeader + pe_rows, 0, {"expected sram@<KiB>"});
  expect_area_error(kAreaHeader + pe_rows + "sram@8,1,x\nsram@8,2,x\n", 11,
                    {"duplicate component sram@8"});
  expect_area_error(kAreaHeader + pe_rows + "sram@-1,1,x\n", 10, {"positive", "got \"-1\""});
}

TEST(SramCurve, AreaOfBanksAndBuffers) {
  // 8 KiB bank 10,000 um^2 (1250 per KiB), 128 KiB bank 80,000 (625 per KiB): per KiB, a slope
  // of -1/4 in log-log. A 32 KiB bank: 1250 x 4^(-1/4) = 883.9 per KiB, 28,284 um^2.
  const AreaTable t = AreaTable::parse(
      kAreaHeader +
          "mult_int4,70.5,x\nshifter_bit_level,1.6,x\nadder_bit,4.5,x\n"
          "add_fp16,1360,x\nregister_bit,5.98,x\npe_fp16,6303,x\n"
          "dot_fp16_lane,4076.8,x\npe_hfp8,1840.7,x\nsram@128,80000,x\nsram@8,10000,x\n",
      "a.csv");
  EXPECT_DOUBLE_EQ(t.sram_bank_um2(8), 10000.0);
  EXPECT_DOUBLE_EQ(t.sram_bank_um2(128), 80000.0);
  EXPECT_NEAR(t.sram_bank_um2(32), 28284.27, 0.01);
  // 128 KiB in 4 banks: four 32 KiB banks.
  EXPECT_NEAR(nibble::energy::sram_buffer_um2(t, 128, 4), 4 * 28284.27, 0.04);
  EXPECT_DOUBLE_EQ(nibble::energy::sram_buffer_um2(t, 128, 1), 80000.0);
  EXPECT_TRUE(t.unused_components().empty());
}

TEST(EnergyTable, MissingRowsAreListed) {
  std::vector<Row> rows = kMadeUp;
  rows.erase(rows.begin() + 13);  // pe leak_um2_cycle
  rows.erase(rows.begin() + 9);   // sram write_bit
  rows.erase(rows.begin());       // mult_int4 multiply
  expect_energy_error(table_text(rows), 0,
                      {"missing rows the energy model needs",
                       "(mult_int4, multiply), (pe, leak_um2_cycle), (sram or sram@<KiB>, "
                       "write_bit)"});
  // A header alone misses all 16.
  expect_energy_error(kHeader, 0, {"(mult_int4, multiply)", "(pe, leak_um2_cycle)"});
  // A row of another action does not stand in for the one the model reads.
  rows = kMadeUp;
  rows[13].action = "idle_cycle";  // pe leak_um2_cycle
  expect_energy_error(table_text(rows), 0, {"expected (pe, leak_um2_cycle)"});
  expect_area_error(kAreaHeader + "pe_int4,1,x\nmult_int4,2,x\n", 0,
                    {"missing rows the area model needs",
                     "expected shifter_bit_level, adder_bit, add_fp16, register_bit, pe_fp16"});
}

TEST(EnergyTable, QuotingEdgeCases) {
  const std::string text = made_up_plus(
      "# a comment line; \"quotes\" and, commas here are not parsed\n"
      "quoted,row,0.5,\"Horowitz, 'ISSCC', \"\"Fig. 1.1.9\"\", p. 10\"\n"
      "\"quoted_name\",\"act\",\"2.5\",\"\"\n"
      "empty,src,1,\n"
      "multi,line,3,\"first line\n# not a comment\n\nlast, line\"\n"
      "   \n"
      "\t\n"
      "after,multi,4,\"\"\"\"\n"
      "sci,note,1.5e-3,x");  // no final newline
  const EnergyTable t = EnergyTable::parse(text, "t.csv");
  const std::vector<EnergyRow> u = t.unused_rows();
  ASSERT_EQ(u.size(), 6u);
  EXPECT_EQ(u[0].source, "Horowitz, 'ISSCC', \"Fig. 1.1.9\", p. 10");
  EXPECT_EQ(u[0].line, 19);
  EXPECT_EQ(u[1].component, "quoted_name");
  EXPECT_EQ(u[1].action, "act");
  EXPECT_EQ(u[1].energy_pj, 2.5);
  EXPECT_EQ(u[1].source, "");
  EXPECT_EQ(u[2].source, "");
  EXPECT_EQ(u[3].source, "first line\n# not a comment\n\nlast, line");
  EXPECT_EQ(u[3].line, 22);
  EXPECT_EQ(u[4].source, "\"");
  EXPECT_EQ(u[4].line, 28);
  EXPECT_EQ(u[5].energy_pj, 1.5e-3);
  EXPECT_EQ(u[5].line, 29);
}

TEST(EnergyTable, CrlfAndByteOrderMark) {
  std::string text = "\xEF\xBB\xBF" + made_up_plus("x,y,1,\"a\nb\"\n\n");
  std::string crlf;
  for (char ch : text) {
    crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  }
  const EnergyTable t = EnergyTable::parse(crlf, "t.csv");
  EXPECT_EQ(t.pj("pe", "leak_um2_cycle"), 0.03125);
  ASSERT_EQ(t.unused_rows().size(), 1u);
  EXPECT_EQ(t.unused_rows()[0].source, "a\nb");
  EXPECT_EQ(t.unused_rows()[0].line, 18);
  // A CRLF table keeps its line numbers in errors.
  std::string bad = made_up_plus("x,y,oops,z\n");
  std::string bad_crlf;
  for (char ch : bad) {
    bad_crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  }
  expect_energy_error(bad_crlf, 18, {"got \"oops\""});
  // The shipped area table read with CRLF line ends.
  std::ifstream in(kShippedArea, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string area;
  for (char ch : ss.str()) {
    area += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  }
  EXPECT_EQ(AreaTable::parse(area, "a.csv").um2("pe_fp16"), 6303.0);
}

// --- energy_of by hand -------------------------------------------------------------------------

TEST(EnergyOf, MadeUpCountsByHand) {
  const EnergyTable t = EnergyTable::parse(table_text(kMadeUp), "t.csv");
  const ActionCounts c = all_counts();
  // A 4-lane 4-bit PE of 100 um^2 (docs/energy.md, "The L-lane PE"): an FP4 product costs
  // 51 shifter bit-levels + 17 adder bits = 12.75 + 2.125 = 14.875; a chunk at L = 4 the tree's
  // 2 x 18 + 19 = 55 adder bits and the rounder of its 19-bit sum, 2 x 19 + 16 = 54 adder bits
  // and 19 x 5 = 95 shifter bit-levels: 109 x 0.125 + 95 x 0.25 = 37.375.
  const EnergyBreakdown e =
      nibble::energy::energy_of(c, t, PeDesign{PeKind::kInt4, 4}, 100.0, kSram);
  EXPECT_EQ(e.mac_pj, 3 * 0.5 + 5 * 14.875 + 53 * 37.375 + 7 * 0.75 + 11 * 2.0);
  EXPECT_EQ(e.mac_pj, 2084.0);                        // 1.5 + 74.375 + 1980.875 + 5.25 + 22
  EXPECT_EQ(e.accumulate_pj, 13 * 0.375 + 17 * 1.5);  // 4.875 + 25.5
  EXPECT_EQ(e.accumulate_pj, 30.375);
  EXPECT_EQ(e.scale_unit_pj, 19 * 1.25);
  EXPECT_EQ(e.scale_unit_pj, 23.75);
  EXPECT_EQ(e.pe_register_pj, 23 * 0.0625);
  EXPECT_EQ(e.pe_register_pj, 1.4375);
  // Reads 29 + 59 + 67 = 155 bits, writes 31 + 61 + 71 = 163, at the plain rows' prices.
  EXPECT_EQ(e.sram_pj,
            29 * 0.125 + 31 * 0.1875 + 59 * 0.125 + 61 * 0.1875 + 67 * 0.125 + 71 * 0.1875);
  EXPECT_EQ(e.sram_pj, 49.9375);              // 19.375 + 30.5625
  EXPECT_EQ(e.dram_pj, 37 * 4.0 + 41 * 6.0);  // 148 + 246
  EXPECT_EQ(e.dram_pj, 394.0);
  EXPECT_EQ(e.pe_idle_pj, 47 * 100 * 0.03125);  // idle PE-cycles x area x leakage
  EXPECT_EQ(e.pe_idle_pj, 146.875);
  // 2084 + 30.375 + 23.75 + 1.4375 + 49.9375 + 394 + 146.875; pe_busy_cycles costs nothing.
  EXPECT_EQ(e.total_pj(), 2730.375);

  // The FP16 PE of 200 um^2 has one lane: a chunk is the 17-bit rounder alone, 50 adder bits
  // and 17 x 5 = 85 shifter bit-levels = 6.25 + 21.25 = 27.5.
  const EnergyBreakdown f =
      nibble::energy::energy_of(c, t, PeDesign{PeKind::kFp16, 1}, 200.0, kSram);
  EXPECT_EQ(f.mac_pj, 1.5 + 74.375 + 53 * 27.5 + 5.25 + 22);
  EXPECT_EQ(f.mac_pj, 1560.625);
  EXPECT_EQ(f.pe_idle_pj, 47 * 200 * 0.03125);  // 293.75
  EXPECT_EQ(f.total_pj(), 2353.875);  // 1560.625 + 30.375 + 23.75 + 1.4375 + 49.9375 + 394 + 293.75

  EnergyBreakdown sum = e;
  sum += f;
  EXPECT_EQ(sum.mac_pj, 3644.625);
  EXPECT_EQ(sum.accumulate_pj, 60.75);
  EXPECT_EQ(sum.scale_unit_pj, 47.5);
  EXPECT_EQ(sum.pe_register_pj, 2.875);
  EXPECT_EQ(sum.sram_pj, 99.875);
  EXPECT_EQ(sum.dram_pj, 788.0);
  EXPECT_EQ(sum.pe_idle_pj, 146.875 + 293.75);
  EXPECT_EQ(sum.total_pj(), 2730.375 + 2353.875);

  const EnergyBreakdown zero =
      nibble::energy::energy_of(ActionCounts{}, t, PeDesign{PeKind::kInt4, 4}, 100.0, kSram);
  EXPECT_EQ(zero.total_pj(), 0.0);
}

// The seven components, by name, for the tests below.
using Member = double EnergyBreakdown::*;
const std::vector<std::pair<const char*, Member>> kComponents = {
    {"mac", &EnergyBreakdown::mac_pj},
    {"accumulate", &EnergyBreakdown::accumulate_pj},
    {"scale_unit", &EnergyBreakdown::scale_unit_pj},
    {"pe_register", &EnergyBreakdown::pe_register_pj},
    {"sram", &EnergyBreakdown::sram_pj},
    {"dram", &EnergyBreakdown::dram_pj},
    {"pe_idle", &EnergyBreakdown::pe_idle_pj},
};

bool same_bits(double a, double b) {
  uint64_t x = 0;
  uint64_t y = 0;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x == y;
}

// The component each row feeds on a PE of that kind (docs/energy.md); nullptr: none.
const char* dependent(const Row& r, PeKind kind) {
  const std::string c = r.component;
  const bool arithmetic = c.rfind("mac_", 0) == 0 || c == "mult_int4" || c == "shifter" ||
                          c == "adder" || c.rfind("add_", 0) == 0 || c == "dot_fp16";
  if (arithmetic && (kind == PeKind::kFp16Dot) != (c == "dot_fp16")) {
    return nullptr;  // the dot-product PE reads only its own arithmetic rows, the others never
  }
  if (c == "dot_fp16") {
    return r.action == "multiply" ? "mac" : "accumulate";
  }
  if (c.rfind("mac_", 0) == 0 || c == "mult_int4" || c == "shifter" || c == "adder") {
    return "mac";
  }
  if (c.rfind("add_", 0) == 0) {
    return "accumulate";
  }
  if (c == "scale_unit") {
    return "scale_unit";
  }
  if (c == "pe_register") {
    return "pe_register";
  }
  if (c == "sram") {
    return "sram";
  }
  if (c == "dram") {
    return "dram";
  }
  if (c == "pe") {
    return "pe_idle";
  }
  ADD_FAILURE() << "no component for " << c;
  return nullptr;
}

TEST(EnergyOf, ChangingOneRowChangesExactlyItsComponent) {
  const EnergyTable base_table = EnergyTable::parse(table_text(kMadeUp), "t.csv");
  for (const PeDesign pe :
       {PeDesign{PeKind::kInt4, 4}, PeDesign{PeKind::kFp16, 1}, PeDesign{PeKind::kFp16Dot, 4}}) {
    ActionCounts c = all_counts();
    if (pe.kind == PeKind::kFp16Dot) {  // it runs FP16 GEMMs only
      c.macs_int4 = 0;
      c.macs_fp4 = 0;
      c.macs_fp8 = 0;
      c.chunk_sums = 0;
      c.acc_adds_fp16 = 0;
    }
    const EnergyBreakdown base = nibble::energy::energy_of(c, base_table, pe, 100.0, kSram);
    for (size_t i = 0; i < kMadeUp.size(); ++i) {
      std::vector<Row> rows = kMadeUp;
      rows[i].energy = "7.3";  // differs from every made-up value
      const EnergyTable t = EnergyTable::parse(table_text(rows), "t.csv");
      const EnergyBreakdown e = nibble::energy::energy_of(c, t, pe, 100.0, kSram);
      const char* changed = dependent(kMadeUp[i], pe.kind);
      SCOPED_TRACE(kMadeUp[i].component + "," + kMadeUp[i].action + " " +
                   nibble::energy::pe_kind_name(pe.kind));
      for (const auto& [name, member] : kComponents) {
        if (changed != nullptr && std::string(name) == changed) {
          EXPECT_NE(e.*member, base.*member) << name;
        } else {
          EXPECT_TRUE(same_bits(e.*member, base.*member)) << name;
        }
      }
      if (changed != nullptr) {
        EXPECT_NE(e.total_pj(), base.total_pj());
      } else {
        EXPECT_TRUE(same_bits(e.total_pj(), base.total_pj()));
      }
    }
    // A row the model does not read changes nothing.
    const EnergyTable extra = EnergyTable::parse(
        made_up_plus("pe_int4,idle_cycle_ungated,9,x\npe_fp16,idle_cycle_ungated,9,x\n"), "t");
    const EnergyBreakdown e = nibble::energy::energy_of(c, extra, pe, 100.0, kSram);
    for (const auto& [name, member] : kComponents) {
      EXPECT_TRUE(same_bits(e.*member, base.*member)) << name;
    }
  }
}

TEST(EnergyOf, FpDotPeByHand) {
  // docs/energy.md: on the FP16 dot-product PE every FP16 product costs (dot_fp16, multiply)
  // in mac and (dot_fp16, add) in accumulate, whatever its acc_adds_fp32 (the chunks) say.
  const EnergyTable t = EnergyTable::parse(table_text(kMadeUp), "t.csv");
  ActionCounts c;
  c.macs_fp16 = 40;
  c.acc_adds_fp32 = 10;  // chunks of 4: 30 tree adds and 10 accumulates, 40 adds
  c.pe_move_bits = 8;
  c.pe_idle_cycles = 2;
  const EnergyBreakdown e =
      nibble::energy::energy_of(c, t, PeDesign{PeKind::kFp16Dot, 4}, 64.0, kSram);
  EXPECT_EQ(e.mac_pj, 40 * 0.625);
  EXPECT_EQ(e.accumulate_pj, 40 * 0.875);
  EXPECT_EQ(e.pe_register_pj, 8 * 0.0625);
  EXPECT_EQ(e.pe_idle_pj, 2 * 64 * 0.03125);
  EXPECT_EQ(e.total_pj(), 25 + 35 + 0.5 + 4);
  for (int64_t ActionCounts::*other :
       {&ActionCounts::macs_int4, &ActionCounts::macs_fp4, &ActionCounts::macs_fp8}) {
    ActionCounts bad = c;
    bad.*other = 1;
    EXPECT_THROW(nibble::energy::energy_of(bad, t, PeDesign{PeKind::kFp16Dot, 4}, 64.0, kSram),
                 std::invalid_argument);
  }
}

TEST(Baseline, FpArraysFollowTheirPeAndFit) {
  const AreaTable area = AreaTable::read_file(kShippedArea);
  ArchSpec four;
  four.array.rows = 32;
  four.array.cols = 24;
  four.pe.lanes = 4;
  four.pe.fp16_macs_per_cycle = 0.25;
  four.baseline.fp16_dot_lanes = 8;
  using nibble::energy::baseline_array;
  using nibble::energy::Fit;
  const ArchSpec pe1 = baseline_array(four, PeKind::kFp16, Fit::kIsoPe, area);
  EXPECT_EQ(pe1.array.rows, 32);
  EXPECT_EQ(pe1.array.cols, 24);
  EXPECT_EQ(pe1.pe.lanes, 1);
  EXPECT_EQ(pe1.pe.fp16_macs_per_cycle, 1.0);
  const ArchSpec dot = baseline_array(four, PeKind::kFp16Dot, Fit::kIsoPe, area);
  EXPECT_EQ(dot.array.rows, 32);
  EXPECT_EQ(dot.pe.lanes, 8);
  EXPECT_EQ(dot.pe.fp16_macs_per_cycle, 1.0);
  // iso-area by hand: the 4-lane 4-bit PE is 3299.62 um^2 (docs/energy.md); the 8-lane
  // dot-product PE 8 x 4076.8 + 416 x 5.98 = 35102.08; s = sqrt(3299.62 / 35102.08) = 0.30659,
  // 32 x s = 9.81, 24 x s = 7.36. The one-FMA PE: s = sqrt(3299.62 / 6303) = 0.72354: 23 x 17.
  const ArchSpec dot_area = baseline_array(four, PeKind::kFp16Dot, Fit::kIsoArea, area);
  EXPECT_EQ(dot_area.array.rows, 9);
  EXPECT_EQ(dot_area.array.cols, 7);
  EXPECT_EQ(dot_area.pe.lanes, 8);
  const ArchSpec fma_area = baseline_array(four, PeKind::kFp16, Fit::kIsoArea, area);
  EXPECT_EQ(fma_area.array.rows, 23);
  EXPECT_EQ(fma_area.array.cols, 17);
  // The HFP8 PE by hand: 241.5 (FP8 multiplier) + 1360 (add_fp16) + 40 x 5.98 = 1840.7 um^2;
  // s = sqrt(3299.62 / 1840.7) = 1.33888: 42 x 32. One lane, one FP8 MAC a cycle, FP16 at the
  // configured PE's FP16 : FP8 rate, 0.25 / 0.25 here.
  const ArchSpec hfp8 = baseline_array(four, PeKind::kHfp8, Fit::kIsoPe, area);
  EXPECT_EQ(hfp8.array.rows, 32);
  EXPECT_EQ(hfp8.array.cols, 24);
  EXPECT_EQ(hfp8.pe.lanes, 1);
  EXPECT_EQ(hfp8.pe.fp8_macs_per_cycle, 1.0);
  EXPECT_EQ(hfp8.pe.fp16_macs_per_cycle, 1.0);
  four.pe.fp16_macs_per_cycle = 0.125;
  EXPECT_EQ(baseline_array(four, PeKind::kHfp8, Fit::kIsoPe, area).pe.fp16_macs_per_cycle, 0.5);
  const ArchSpec hfp8_area = baseline_array(four, PeKind::kHfp8, Fit::kIsoArea, area);
  EXPECT_EQ(hfp8_area.array.rows, 42);
  EXPECT_EQ(hfp8_area.array.cols, 32);
  // Compat timing has one MAC per PE: no dot-product arrays there.
  using nibble::energy::baselines_for;
  const std::vector<std::pair<PeKind, Fit>> realistic = {
      {PeKind::kFp16, Fit::kIsoPe},    {PeKind::kFp16, Fit::kIsoArea},
      {PeKind::kFp16Dot, Fit::kIsoPe}, {PeKind::kFp16Dot, Fit::kIsoArea},
      {PeKind::kHfp8, Fit::kIsoPe},    {PeKind::kHfp8, Fit::kIsoArea}};
  EXPECT_EQ(baselines_for(four), realistic);
  four.mode = TimingMode::kCompat;
  const std::vector<std::pair<PeKind, Fit>> compat = {{PeKind::kFp16, Fit::kIsoPe},
                                                      {PeKind::kFp16, Fit::kIsoArea},
                                                      {PeKind::kHfp8, Fit::kIsoPe},
                                                      {PeKind::kHfp8, Fit::kIsoArea}};
  EXPECT_EQ(baselines_for(four), compat);
}

TEST(EnergyOf, EachCountFeedsOneComponent) {
  // The other direction: one non-zero count lights up exactly one component.
  const EnergyTable t = EnergyTable::parse(table_text(kMadeUp), "t.csv");
  const std::vector<std::pair<int64_t ActionCounts::*, const char*>> feeds = {
      {&ActionCounts::macs_int4, "mac"},
      {&ActionCounts::macs_fp4, "mac"},
      {&ActionCounts::macs_fp8, "mac"},
      {&ActionCounts::macs_fp16, "mac"},
      {&ActionCounts::chunk_sums, "mac"},
      {&ActionCounts::acc_adds_fp16, "accumulate"},
      {&ActionCounts::acc_adds_fp32, "accumulate"},
      {&ActionCounts::scale_ops, "scale_unit"},
      {&ActionCounts::pe_move_bits, "pe_register"},
      {&ActionCounts::ifmap_read_bits, "sram"},
      {&ActionCounts::ifmap_write_bits, "sram"},
      {&ActionCounts::filter_read_bits, "sram"},
      {&ActionCounts::filter_write_bits, "sram"},
      {&ActionCounts::ofmap_read_bits, "sram"},
      {&ActionCounts::ofmap_write_bits, "sram"},
      {&ActionCounts::dram_read_bits, "dram"},
      {&ActionCounts::dram_write_bits, "dram"},
      {&ActionCounts::pe_idle_cycles, "pe_idle"},
      {&ActionCounts::pe_busy_cycles, nullptr},
  };
  for (const auto& [count, component] : feeds) {
    ActionCounts c;
    c.*count = 1000;
    const EnergyBreakdown e =
        nibble::energy::energy_of(c, t, PeDesign{PeKind::kInt4, 4}, 100.0, kSram);
    for (const auto& [name, member] : kComponents) {
      const bool fed = component != nullptr && std::string(name) == component;
      EXPECT_EQ(e.*member > 0, fed) << name << " from " << (component ? component : "busy");
    }
  }
}

// --- One tiny GEMM, timing to pJ ---------------------------------------------------------------

// The shipped table read without EnergyTable: in every row the first three fields are plain
// (only the source is ever quoted), so they are the text up to the third comma.
std::map<std::string, double> simple_table(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, double> out;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    if (header) {
      header = false;
      continue;
    }
    const size_t c1 = line.find(',');
    const size_t c2 = line.find(',', c1 + 1);
    const size_t c3 = line.find(',', c2 + 1);
    out[line.substr(0, c2)] = std::stod(line.substr(c2 + 1, c3 - c2 - 1));
  }
  return out;
}

TEST(EnergyGemm, TinyGemmEndToEnd) {
  const std::map<std::string, double> E = simple_table(kShippedEnergy);
  ASSERT_EQ(E.size(), 20u);
  const EnergyTable table = EnergyTable::read_file(kShippedEnergy);
  struct Case {
    Format a, b;
    PeKind pe;
  };
  const std::vector<Case> cases = {
      {Format::kInt4, Format::kInt4, PeKind::kInt4},
      {Format::kFp4, Format::kInt4, PeKind::kInt4},
      {Format::kUint4, Format::kFp4, PeKind::kInt4},
      {Format::kFp8E4M3, Format::kFp8E5M2, PeKind::kInt4},
      {Format::kFp16, Format::kFp16, PeKind::kFp16},
  };
  for (TimingMode mode : {TimingMode::kRealistic, TimingMode::kCompat}) {
    for (Dataflow df : {Dataflow::kWs, Dataflow::kIs, Dataflow::kOs}) {
      for (const Case& k : cases) {
        GemmSpec g;
        g.name = "tiny";
        g.m = g.n = g.k = 4;
        g.a = FormatSpec{k.a, 0};
        g.b = FormatSpec{k.b, 0};
        ArchSpec arch = nibble::test::one_lane_arch();
        arch.array.rows = 2;
        arch.array.cols = 2;
        arch.array.dataflow = df;
        arch.mode = mode;
        const ActionCounts n = nibble::timing::time_gemm(g, arch).actions;
        SCOPED_TRACE(std::to_string(static_cast<int>(df)) + " " +
                     std::to_string(static_cast<int>(k.a)) + "x" +
                     std::to_string(static_cast<int>(k.b)) +
                     (mode == TimingMode::kCompat ? " compat" : " realistic"));
        // 4 * 4 * 4 = 64 MACs, each with one accumulator add (one lane); 4 * 4 outputs scaled;
        // the 4-bit pairs' products go through the rounder one chunk (one product) at a time.
        EXPECT_EQ(n.macs_int4 + n.macs_fp4 + n.macs_fp8 + n.macs_fp16, 64);
        EXPECT_EQ(n.acc_adds_fp16 + n.acc_adds_fp32, 64);
        EXPECT_EQ(n.chunk_sums, n.macs_int4 + n.macs_fp4);
        EXPECT_EQ(n.scale_ops, 16);
        EXPECT_GT(n.ifmap_read_bits + n.filter_read_bits, 0);
        EXPECT_GT(n.ofmap_write_bits, 0);
        if (mode == TimingMode::kRealistic) {
          EXPECT_GT(n.pe_move_bits, 0);
          EXPECT_GT(n.dram_read_bits, 0);
          EXPECT_GT(n.dram_write_bits, 0);
        }
        const auto d = [](int64_t v) { return static_cast<double>(v); };
        // One lane (docs/energy.md, "The L-lane PE"): an FP4 product is 17 bits x 3 shifter
        // levels and a 17-bit negate; a chunk the rounder of a 17-bit sum: 2 x 17 + 16 adder
        // bits and 17 x 5 shifter bit-levels.
        const double shifter = E.at("shifter,bit_level");
        const double adder = E.at("adder,bit");
        const double mac = d(n.macs_int4) * E.at("mult_int4,multiply") +
                           d(n.macs_fp4) * (51 * shifter + 17 * adder) +
                           d(n.chunk_sums) * (50 * adder + 85 * shifter) +
                           d(n.macs_fp8) * E.at("mac_fp8_fp8,multiply") +
                           d(n.macs_fp16) * E.at("mac_fp16_fp16,multiply");
        const double acc = d(n.acc_adds_fp16) * E.at("add_fp16,accumulate") +
                           d(n.acc_adds_fp32) * E.at("add_fp32,accumulate");
        const double scale = d(n.scale_ops) * E.at("scale_unit,scale");
        const double reg = d(n.pe_move_bits) * E.at("pe_register,move_bit");
        // Every buffer at its default 256 KiB, one bank: between the table's 32 and 1024 KiB
        // points, log-log ("SRAM by capacity").
        const auto at256 = [&](const std::string& action) {
          const double e32 = E.at("sram@32," + action);
          const double e1024 = E.at("sram@1024," + action);
          return e32 * std::pow(e1024 / e32, std::log(256.0 / 32) / std::log(1024.0 / 32));
        };
        const double sram =
            d(n.ifmap_read_bits + n.filter_read_bits + n.ofmap_read_bits) * at256("read_bit") +
            d(n.ifmap_write_bits + n.filter_write_bits + n.ofmap_write_bits) * at256("write_bit");
        const double dram = d(n.dram_read_bits) * E.at("dram,read_bit") +
                            d(n.dram_write_bits) * E.at("dram,write_bit");
        const double area = k.pe == PeKind::kInt4 ? 2117.04 : 6303.0;
        const double idle = d(n.pe_idle_cycles) * area * E.at("pe,leak_um2_cycle");
        const EnergyBreakdown e =
            nibble::energy::energy_of(n, table, PeDesign{k.pe, 1}, area, kSram);
        EXPECT_DOUBLE_EQ(e.mac_pj, mac);
        EXPECT_DOUBLE_EQ(e.accumulate_pj, acc);
        EXPECT_DOUBLE_EQ(e.scale_unit_pj, scale);
        EXPECT_DOUBLE_EQ(e.pe_register_pj, reg);
        EXPECT_DOUBLE_EQ(e.sram_pj, sram);
        EXPECT_DOUBLE_EQ(e.dram_pj, dram);
        EXPECT_DOUBLE_EQ(e.pe_idle_pj, idle);
        EXPECT_DOUBLE_EQ(e.total_pj(), mac + acc + scale + reg + sram + dram + idle);
      }
    }
  }
}

TEST(EnergyGemm, TinyInt4WsCountsByHand) {
  // R = C = 2, M = N = K = 4, int4 x int4 -> fp16, ws, default SRAM (everything fits) and DRAM.
  // Tiles: N folds 2 x M blocks 1 x K folds 2 = 4 tiles, each ru = cu = 2, waves = 4 (M).
  //   moves: per tile 2*2*4 MACs x (4 + 16) bits + preload 2 * (1 + 2) elems x 4 bits
  //          = 320 + 24 = 344; 4 tiles: 1376 bits.
  //   SRAM reads: A (ifmap) 4*2 x 4 = 32 bits a tile (128), B (filter) 2*2 x 4 = 16 (64);
  //          ofmap: partial sums read back in the 2 tiles with K fold 1: 4*2 x 16 = 128 each
  //          (256), stores 4*2 fp16 = 16 bytes x 8 = 128 bits in those 2 tiles (256): 512.
  //   DRAM reads: A (4x4 int4, 8 bytes) fits its buffer: loaded in N fold 0 only, 4 bytes per
  //          tile (2 tiles); B slices (2x2 int4 = 2 bytes) every tile: 8 + 8 = 16 bytes = 128.
  //   SRAM writes: ofmap: outputs/partial sums 4*2 x 16 = 128 a tile (512); DRAM fills: ifmap
  //          8 bytes = 64 bits, filter 8 bytes = 64 bits.
  //   DRAM writes: the stores, 256 bits.
  //   busy PE-cycles: 4 tiles x 2*2 PEs x 4 cycles = 64.
  GemmSpec g;
  g.m = g.n = g.k = 4;
  ArchSpec arch = nibble::test::one_lane_arch();
  arch.array.rows = 2;
  arch.array.cols = 2;
  const nibble::timing::GemmTiming t = nibble::timing::time_gemm(g, arch);
  const ActionCounts& n = t.actions;
  EXPECT_EQ(n.macs_int4, 64);
  EXPECT_EQ(n.macs_fp4 + n.macs_fp8 + n.macs_fp16 + n.acc_adds_fp32, 0);
  EXPECT_EQ(n.acc_adds_fp16, 64);
  EXPECT_EQ(n.chunk_sums, 64);
  EXPECT_EQ(n.scale_ops, 16);
  EXPECT_EQ(n.pe_move_bits, 1376);
  EXPECT_EQ(n.ifmap_read_bits, 128);
  EXPECT_EQ(n.filter_read_bits, 64);
  EXPECT_EQ(n.ofmap_read_bits, 512);
  EXPECT_EQ(n.ifmap_write_bits, 64);
  EXPECT_EQ(n.filter_write_bits, 64);
  EXPECT_EQ(n.ofmap_write_bits, 512);
  EXPECT_EQ(n.dram_read_bits, 128);
  EXPECT_EQ(n.dram_write_bits, 256);
  EXPECT_EQ(n.pe_busy_cycles, 64);
  EXPECT_EQ(n.pe_idle_cycles, t.cycles * 4 - 64);
}

// --- The L-lane PE ------------------------------------------------------------------------------

// The parts by hand (docs/energy.md, "The L-lane PE"; widths from docs/numerics.md): tree
// levels i = 1 .. ceil(log2 L) of floor(n / 2) adders of 17 + i bits, n the sums left.
TEST(LanePe, PartsByHand) {
  struct Case {
    int64_t lanes, tree_bits, width, shift_levels;
  };
  const Case cases[] = {
      {1, 0, 17, 5},                               // no tree
      {2, 18, 18, 5},                              // one 18-bit adder
      {3, 18 + 19, 19, 5},                         // 3 -> 2 (one passes) -> 1
      {4, 2 * 18 + 19, 19, 5},                     // 55
      {8, 4 * 18 + 2 * 19 + 20, 20, 5},            // 130
      {16, 8 * 18 + 4 * 19 + 2 * 20 + 21, 21, 5},  // 281
      {64, 32 * 18 + 16 * 19 + 8 * 20 + 4 * 21 + 2 * 22 + 23, 23, 5},
  };
  for (const Case& k : cases) {
    const nibble::energy::LanePeParts p = nibble::energy::lane_pe_parts(k.lanes);
    SCOPED_TRACE("L " + std::to_string(k.lanes));
    EXPECT_EQ(p.lanes, k.lanes);
    EXPECT_EQ(p.lane_shifter_bit_levels, 51);
    EXPECT_EQ(p.lane_negate_adder_bits, 17);
    EXPECT_EQ(p.tree_adder_bits, k.tree_bits);
    EXPECT_EQ(p.rounder_adder_bits, 2 * k.width + 16);
    EXPECT_EQ(p.rounder_shifter_bit_levels, k.width * k.shift_levels);
    EXPECT_EQ(p.register_bits, 12 * k.lanes + 16);
  }
  EXPECT_THROW(nibble::energy::lane_pe_parts(0), std::invalid_argument);
  EXPECT_THROW(nibble::energy::lane_pe_parts(65), std::invalid_argument);
}

// The shipped table's PE areas by hand at L = 4 and 16, and the area per MAC/cycle falling
// with L while the one-lane FP16 PE stays 6303 um^2.
TEST(LanePe, ShippedAreaByHand) {
  const AreaTable t = AreaTable::read_file(kShippedArea);
  // L = 4: 4 lanes x 228.6 = 914.4; tree 55 x 4.5 = 247.5; rounder (19 bits) 54 x 4.5 + 95 x 1.6
  // = 395; FP16 add 1360; 64 register bits x 5.98 = 382.72: 3299.62 um^2.
  EXPECT_DOUBLE_EQ(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kInt4, 4}), 3299.62);
  // L = 16: 3657.6 + 281 x 4.5 (1264.5) + rounder (21 bits) 58 x 4.5 + 105 x 1.6 (429) + 1360
  // + 208 x 5.98 (1243.84) = 7954.94 um^2.
  EXPECT_DOUBLE_EQ(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kInt4, 16}), 7954.94);
  double last = 1e300;
  for (int64_t lanes : {1, 2, 4, 8, 16, 32, 64}) {
    const double per_mac =
        nibble::energy::pe_area_um2(t, PeDesign{PeKind::kInt4, lanes}) / static_cast<double>(lanes);
    EXPECT_LT(per_mac, last) << lanes;
    last = per_mac;
  }
  EXPECT_EQ(nibble::energy::pe_area_um2(t, PeDesign{PeKind::kFp16, 1}), 6303.0);
}

// One chunk of L FP4 x INT4 products at L = 16 on the shipped table, by hand: 16 products x
// (51 x 0.00237 + 17 x 0.00375) + tree 281 x 0.00375 + rounder 58 x 0.00375 + 105 x 0.00237,
// then one FP16 add (0.4): the energy per MAC of the arithmetic falls with L.
TEST(LanePe, ShippedEnergyPerChunkByHand) {
  const EnergyTable t = EnergyTable::read_file(kShippedEnergy);
  EXPECT_DOUBLE_EQ(nibble::energy::lane_shift_pj(t), 51 * 0.00237 + 17 * 0.00375);
  EXPECT_DOUBLE_EQ(nibble::energy::chunk_pj(t, 16), (281 + 58) * 0.00375 + 105 * 0.00237);
  EXPECT_DOUBLE_EQ(nibble::energy::chunk_pj(t, 1), 50 * 0.00375 + 85 * 0.00237);
  double last = 1e300;
  for (int64_t lanes : {1, 2, 4, 8, 16}) {
    const double per_mac = nibble::energy::lane_shift_pj(t) +
                           (nibble::energy::chunk_pj(t, lanes) + t.pj("add_fp16", "accumulate")) /
                               static_cast<double>(lanes);
    EXPECT_LT(per_mac, last) << lanes;
    last = per_mac;
  }
}

}  // namespace

TEST(Baseline, WorkloadsPerPe) {
  // docs/energy.md: the FP16 PEs run every operand as fp16; the HFP8 PE runs weights and
  // activations (int4, uint4) as E4M3 and gradients (fp4, either phase) as E5M2, and keeps
  // FP8 and FP16 operands as the trace wrote them.
  using nibble::energy::baseline_workload;
  const auto spec = [](const char* text) {
    return nibble::workload::parse_format_spec(text).value();
  };
  nibble::workload::Workload w;
  w.name = "w";
  const char* const pairs[][3] = {
      {"uint4", "int4", "fp16"},        {"fp4:p0", "int4", "fp16"}, {"uint4", "fp4:p1", "int4"},
      {"fp8_e5m2", "fp8_e4m3", "fp16"}, {"fp16", "fp16", "fp16"},   {"int4", "uint4", "fp4:p1"},
  };
  for (const auto& p : pairs) {
    nibble::workload::GemmSpec g;
    g.a = spec(p[0]);
    g.b = spec(p[1]);
    g.out = spec(p[2]);
    w.gemms.push_back(g);
  }
  const char* const hfp8[][3] = {
      {"fp8_e4m3", "fp8_e4m3", "fp16"},
      {"fp8_e5m2", "fp8_e4m3", "fp16"},
      {"fp8_e4m3", "fp8_e5m2", "fp8_e4m3"},
      {"fp8_e5m2", "fp8_e4m3", "fp16"},
      {"fp16", "fp16", "fp16"},
      {"fp8_e4m3", "fp8_e4m3", "fp8_e5m2"},
  };
  const nibble::workload::Workload h = baseline_workload(w, PeKind::kHfp8);
  EXPECT_EQ(h.name, "w_hfp8");
  const nibble::workload::Workload f = baseline_workload(w, PeKind::kFp16Dot);
  EXPECT_EQ(f.name, "w_fp16");
  ASSERT_EQ(h.gemms.size(), w.gemms.size());
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(h.gemms[i].a, spec(hfp8[i][0]));
    EXPECT_EQ(h.gemms[i].b, spec(hfp8[i][1]));
    EXPECT_EQ(h.gemms[i].out, spec(hfp8[i][2]));
    for (const FormatSpec& x : {f.gemms[i].a, f.gemms[i].b, f.gemms[i].out}) {
      EXPECT_EQ(x, spec("fp16"));
    }
  }
  EXPECT_THROW(baseline_workload(w, PeKind::kInt4), std::invalid_argument);
}

TEST(EnergyOf, HfpEightPeRunsNoFourBitGemm) {
  const EnergyTable t = EnergyTable::read_file(kShippedEnergy);
  ActionCounts n;
  n.macs_fp8 = 3;
  n.acc_adds_fp16 = 3;
  const nibble::timing::SramSpec sram;
  const EnergyBreakdown e = nibble::energy::energy_of(n, t, PeDesign{PeKind::kHfp8, 1}, 1, sram);
  EXPECT_DOUBLE_EQ(e.mac_pj, 3 * 0.50);        // mac_fp8_fp8
  EXPECT_DOUBLE_EQ(e.accumulate_pj, 3 * 0.4);  // add_fp16
  n.macs_int4 = 1;
  EXPECT_THROW(nibble::energy::energy_of(n, t, PeDesign{PeKind::kHfp8, 1}, 1, sram),
               std::invalid_argument);
  // The shipped HFP8 PE: 241.5 + 1360 + 40 x 5.98 = 1840.7 um^2 (energy-sources.md).
  EXPECT_DOUBLE_EQ(
      nibble::energy::pe_area_um2(AreaTable::read_file(kShippedArea), PeDesign{PeKind::kHfp8, 1}),
      1840.7);
}
