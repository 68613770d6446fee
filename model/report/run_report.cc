#include "model/report/run_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

#include "model/report/pyfloat.h"
#include "model/timing/int_math.h"

namespace nibble::report {
namespace {

using energy::ArrayRun;
using energy::EnergyBreakdown;
using nlohmann::ordered_json;
using timing::GemmTiming;
using workload::GemmSpec;
using workload::Pass;

constexpr const char* kVersion = "0.1.0";
constexpr Pass kPasses[] = {Pass::kFwd, Pass::kDgrad, Pass::kWgrad, Pass::kNone};

const char* pass_key(Pass p) { return p == Pass::kNone ? "none" : workload::pass_name(p); }

double ratio(double num, double den) { return den > 0 ? num / den : 0; }

// The GEMM's full tile (timing::tile_extent), null in compat mode (SCALE-Sim's folds).
ordered_json tile_json(const GemmSpec& g, const timing::ArchSpec& arch, const GemmTiming& t) {
  if (arch.mode != timing::TimingMode::kRealistic) {
    return nullptr;
  }
  const timing::TileExtent e = timing::tile_extent(g, arch, t.plan);
  return ordered_json{{"m", e.m}, {"n", e.n}, {"k", e.k}};
}

// layers.csv's tile_m,tile_n,tile_k: the same, empty cells in compat mode.
std::string tile_csv(const GemmSpec& g, const timing::ArchSpec& arch, const GemmTiming& t) {
  if (arch.mode != timing::TimingMode::kRealistic) {
    return ",,";
  }
  const timing::TileExtent e = timing::tile_extent(g, arch, t.plan);
  return std::to_string(e.m) + "," + std::to_string(e.n) + "," + std::to_string(e.k);
}

ordered_json energy_json(const EnergyBreakdown& e) {
  return {{"mac", e.mac_pj},
          {"accumulate", e.accumulate_pj},
          {"scale_unit", e.scale_unit_pj},
          {"pe_register", e.pe_register_pj},
          {"sram", e.sram_pj},
          {"dram", e.dram_pj},
          {"pe_idle", e.pe_idle_pj},
          {"total", e.total_pj()}};
}

ordered_json array_json(const ArrayRun& run) {
  const int64_t pes = run.arch.array.rows * run.arch.array.cols;
  return {{"rows", run.arch.array.rows},
          {"cols", run.arch.array.cols},
          {"dataflow", timing::dataflow_name(run.arch.array.dataflow)},
          {"pe", energy::pe_kind_name(run.pe.kind)},
          {"lanes", run.pe.lanes},
          {"pe_area_um2", run.pe_area_um2},
          {"pe_array_area_mm2", static_cast<double>(pes) * run.pe_area_um2 * 1e-6},
          {"sram_area_mm2", run.sram_area_um2 * 1e-6}};
}

// The baselines in blocks of one PE kind, [first, last) each: report.json lists, per kind, the
// arrays, then their speedups, then their energy ratios (docs/reports.md).
std::vector<std::pair<size_t, size_t>> kind_blocks(const std::vector<energy::Baseline>& bs) {
  std::vector<std::pair<size_t, size_t>> blocks;
  for (size_t b = 0; b < bs.size(); ++b) {
    if (blocks.empty() || bs[blocks.back().first].kind != bs[b].kind) {
      blocks.emplace_back(b, b);
    }
    blocks.back().second = b + 1;
  }
  return blocks;
}

// The 4-bit totals (the fields of issue 4's report first), then energy and the comparisons
// (kind_blocks).
ordered_json totals_json(const Totals& t, const std::vector<energy::Baseline>& baselines,
                         const std::vector<Totals>& base, double clock_ghz) {
  ordered_json j;
  j["gemms"] = t.gemms;
  j["macs"] = t.macs;
  j["cycles"] = t.cycles;
  j["seconds"] = static_cast<double>(t.cycles) / (clock_ghz * 1e9);
  j["compute_cycles"] = t.compute_cycles;
  j["stall_cycles"] = t.stall_cycles;
  j["utilization"] = t.utilization;
  j["dram_read_bytes"] = t.dram_read_bytes;
  j["dram_write_bytes"] = t.dram_write_bytes;
  j["memory_bound_gemms"] = t.memory_bound_gemms;
  j["energy_pj"] = energy_json(t.energy);
  const auto baseline = [&](const Totals& b) {
    return ordered_json{{"cycles", b.cycles},
                        {"utilization", b.utilization},
                        {"memory_bound_gemms", b.memory_bound_gemms},
                        {"dram_read_bytes", b.dram_read_bytes},
                        {"dram_write_bytes", b.dram_write_bytes},
                        {"energy_pj", energy_json(b.energy)}};
  };
  for (const auto& [first, last] : kind_blocks(baselines)) {
    for (size_t b = first; b < last; ++b) {
      j[baselines[b].key()] = baseline(base[b]);
    }
    for (size_t b = first; b < last; ++b) {
      j["speedup_" + baselines[b].ratio_suffix()] =
          ratio(static_cast<double>(base[b].cycles), static_cast<double>(t.cycles));
    }
    for (size_t b = first; b < last; ++b) {
      j["energy_ratio_" + baselines[b].ratio_suffix()] =
          ratio(base[b].energy.total_pj(), t.energy.total_pj());
    }
  }
  return j;
}

Totals totals_for(const RunResult& r, const ArrayRun& run, const Pass* pass) {
  return totals_of(r.workload, run, pass);
}

std::vector<Totals> baseline_totals(const RunResult& r, const Pass* pass) {
  std::vector<Totals> out;
  for (const energy::Baseline& b : r.comparison.baselines) {
    out.push_back(totals_for(r, b.run, pass));
  }
  return out;
}

// The one-FMA FP16 array at iso-area: the comparison the paper's claim speaks to.
const ArrayRun& fp16_iso_area(const RunResult& r) {
  return r.comparison.find(energy::PeKind::kFp16, energy::Fit::kIsoArea)->run;
}

}  // namespace

Totals totals_of(const workload::Workload& w, const ArrayRun& run, const Pass* only_pass) {
  Totals t;
  double peak = 0;
  const auto pes = static_cast<double>(run.arch.array.rows * run.arch.array.cols);
  for (size_t i = 0; i < run.timings.size(); ++i) {
    if (only_pass != nullptr && w.gemms[i].pass != *only_pass) {
      continue;
    }
    const GemmTiming& g = run.timings[i];
    ++t.gemms;
    t.macs = timing::checked_add(t.macs, g.macs);
    t.cycles = timing::checked_add(t.cycles, g.cycles);
    t.compute_cycles = timing::checked_add(t.compute_cycles, g.compute_cycles);
    t.stall_cycles = timing::checked_add(t.stall_cycles, g.stall_cycles);
    t.dram_read_bytes = timing::checked_add(t.dram_read_bytes, g.dram_read_bytes);
    t.dram_write_bytes = timing::checked_add(t.dram_write_bytes, g.dram_write_bytes);
    t.memory_bound_gemms += g.bound == timing::Bound::kMemory ? 1 : 0;
    t.energy += run.energy[i];
    peak += static_cast<double>(g.cycles) * pes * g.macs_per_cycle;
  }
  t.utilization = peak > 0 ? static_cast<double>(t.macs) / peak : 0;
  return t;
}

std::string crc_text(uint32_t crc) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", crc);
  return text;
}

namespace {

std::optional<uint32_t> output_crc(const RunResult& r, size_t i) {
  return i < r.output_crcs.size() ? r.output_crcs[i] : std::nullopt;
}

ordered_json optional_crc_json(const std::optional<uint32_t>& crc) {
  return crc ? ordered_json(crc_text(*crc)) : ordered_json(nullptr);
}

}  // namespace

std::optional<bool> crc_match(const RunResult& r, size_t i) {
  const std::optional<uint32_t> got = output_crc(r, i);
  const std::optional<uint32_t>& want = r.workload.gemms[i].data.expect_crc;
  if (!got || !want) {
    return std::nullopt;
  }
  return *got == *want;
}

std::string run_report_json(const RunResult& r) {
  const energy::Comparison& c = r.comparison;
  ordered_json j;
  j["nibble_version"] = kVersion;
  j["trace"] = r.trace_path;
  j["workload"] = r.workload.name;
  j["timing_mode"] = timing::timing_mode_name(r.arch().mode);
  j["engine"] = r.engine;
  j["engine_mode"] = r.engine_mode;
  j["array"] = {{"rows", r.arch().array.rows},
                {"cols", r.arch().array.cols},
                {"dataflow", timing::dataflow_name(r.arch().array.dataflow)}};
  j["clock_ghz"] = r.arch().clock_ghz;
  j["energy_table"] = r.energy_table_path;
  j["area_table"] = r.area_table_path;
  ordered_json arrays = {{c.four_bit.name, array_json(c.four_bit)}};
  for (const energy::Baseline& b : c.baselines) {
    arrays[b.key()] = array_json(b.run);
  }
  j["arrays"] = arrays;
  const auto totals = [&](const Pass* p) {
    return totals_json(totals_for(r, c.four_bit, p), c.baselines, baseline_totals(r, p),
                       r.arch().clock_ghz);
  };
  j["totals"] = totals(nullptr);
  ordered_json passes = ordered_json::object();
  for (Pass p : kPasses) {
    if (totals_for(r, c.four_bit, &p).gemms > 0) {
      passes[pass_key(p)] = totals(&p);
    }
  }
  j["passes"] = passes;
  ordered_json gemms = ordered_json::array();
  for (size_t i = 0; i < r.timings().size(); ++i) {
    const GemmSpec& g = r.workload.gemms[i];
    const GemmTiming& t = c.four_bit.timings[i];
    const auto baseline = [&](const ArrayRun& run) {
      const GemmTiming& b = run.timings[i];
      return ordered_json{{"cycles", b.cycles},
                          {"utilization", b.utilization},
                          {"bound", timing::bound_name(b.bound)},
                          {"dram_read_bytes", b.dram_read_bytes},
                          {"dram_write_bytes", b.dram_write_bytes},
                          {"tile", tile_json(g, run.arch, b)},
                          {"energy_pj", energy_json(run.energy[i])}};
    };
    const double e4 = c.four_bit.energy[i].total_pj();
    const auto cyc = static_cast<double>(t.cycles);
    const std::optional<bool> match = crc_match(r, i);
    ordered_json x = {{"name", g.name},
                      {"pass", workload::pass_name(g.pass)},
                      {"m", g.m},
                      {"n", g.n},
                      {"k", g.k},
                      {"a", workload::format_spec_name(g.a)},
                      {"b", workload::format_spec_name(g.b)},
                      {"out", workload::format_spec_name(g.out)},
                      {"repeat", g.repeat},
                      {"macs", t.macs},
                      {"cycles", t.cycles},
                      {"compute_cycles", t.compute_cycles},
                      {"stall_cycles", t.stall_cycles},
                      {"utilization", t.utilization},
                      {"bound", timing::bound_name(t.bound)},
                      {"dram_read_bytes", t.dram_read_bytes},
                      {"dram_write_bytes", t.dram_write_bytes},
                      {"tiles", t.tiles},
                      {"tile", tile_json(g, r.arch(), t)},
                      {"energy_pj", energy_json(c.four_bit.energy[i])}};
    for (const auto& [first, last] : kind_blocks(c.baselines)) {
      for (size_t b = first; b < last; ++b) {
        x[c.baselines[b].key()] = baseline(c.baselines[b].run);
      }
      for (size_t b = first; b < last; ++b) {
        x["speedup_" + c.baselines[b].ratio_suffix()] =
            ratio(static_cast<double>(c.baselines[b].run.timings[i].cycles), cyc);
      }
      for (size_t b = first; b < last; ++b) {
        x["energy_ratio_" + c.baselines[b].ratio_suffix()] =
            ratio(c.baselines[b].run.energy[i].total_pj(), e4);
      }
    }
    x["output_crc"] = optional_crc_json(output_crc(r, i));
    x["expected_crc"] = optional_crc_json(g.data.expect_crc);
    x["crc_match"] = match ? ordered_json(*match) : ordered_json(nullptr);
    gemms.push_back(std::move(x));
  }
  j["gemms"] = gemms;
  return j.dump(2) + "\n";
}

const std::vector<std::string>& layers_csv_columns() {
  static const std::vector<std::string> kColumns = {"name",
                                                    "pass",
                                                    "m",
                                                    "n",
                                                    "k",
                                                    "a",
                                                    "b",
                                                    "out",
                                                    "repeat",
                                                    "macs",
                                                    "cycles",
                                                    "compute_cycles",
                                                    "stall_cycles",
                                                    "utilization",
                                                    "bound",
                                                    "dram_read_bytes",
                                                    "dram_write_bytes",
                                                    "tiles",
                                                    "tile_m",
                                                    "tile_n",
                                                    "tile_k",
                                                    "energy_pj",
                                                    "fp16_iso_pe_cycles",
                                                    "fp16_iso_pe_energy_pj",
                                                    "fp16_iso_area_cycles",
                                                    "fp16_iso_area_energy_pj",
                                                    "speedup_iso_pe",
                                                    "speedup_iso_area",
                                                    "energy_ratio_iso_pe",
                                                    "energy_ratio_iso_area",
                                                    "fp16dot_iso_pe_cycles",
                                                    "fp16dot_iso_pe_energy_pj",
                                                    "fp16dot_iso_area_cycles",
                                                    "fp16dot_iso_area_energy_pj",
                                                    "speedup_dot_iso_pe",
                                                    "speedup_dot_iso_area",
                                                    "energy_ratio_dot_iso_pe",
                                                    "energy_ratio_dot_iso_area",
                                                    "hfp8_iso_pe_cycles",
                                                    "hfp8_iso_pe_energy_pj",
                                                    "hfp8_iso_area_cycles",
                                                    "hfp8_iso_area_energy_pj",
                                                    "speedup_hfp8_iso_pe",
                                                    "speedup_hfp8_iso_area",
                                                    "energy_ratio_hfp8_iso_pe",
                                                    "energy_ratio_hfp8_iso_area",
                                                    "output_crc",
                                                    "crc_match"};
  return kColumns;
}

std::string layers_csv(const RunResult& r) {
  const energy::Comparison& c = r.comparison;
  std::ostringstream out;
  const auto& cols = layers_csv_columns();
  for (size_t k = 0; k < cols.size(); ++k) {
    out << (k == 0 ? "" : ",") << cols[k];
  }
  out << "\n";
  const auto real = [](double v) { return python_float_repr(v); };
  for (size_t i = 0; i < r.timings().size(); ++i) {
    const GemmSpec& g = r.workload.gemms[i];
    const GemmTiming& t = c.four_bit.timings[i];
    const double e4 = c.four_bit.energy[i].total_pj();
    const auto cyc = static_cast<double>(t.cycles);
    out << g.name << "," << workload::pass_name(g.pass) << "," << g.m << "," << g.n << "," << g.k
        << "," << workload::format_spec_name(g.a) << "," << workload::format_spec_name(g.b) << ","
        << workload::format_spec_name(g.out) << "," << g.repeat << "," << t.macs << "," << t.cycles
        << "," << t.compute_cycles << "," << t.stall_cycles << "," << real(t.utilization) << ","
        << timing::bound_name(t.bound) << "," << t.dram_read_bytes << "," << t.dram_write_bytes
        << "," << t.tiles << "," << tile_csv(g, r.arch(), t) << "," << real(e4);
    // Per kind of baseline PE: cycles and energy at iso-PE and iso-area, then the ratios; empty
    // cells for a kind this run has no arrays of.
    for (const energy::PeKind kind :
         {energy::PeKind::kFp16, energy::PeKind::kFp16Dot, energy::PeKind::kHfp8}) {
      const energy::Baseline* pe = c.find(kind, energy::Fit::kIsoPe);
      const energy::Baseline* area = c.find(kind, energy::Fit::kIsoArea);
      if (pe == nullptr || area == nullptr) {
        out << ",,,,,,,,";
        continue;
      }
      const GemmTiming& tp = pe->run.timings[i];
      const GemmTiming& ta = area->run.timings[i];
      const double e_pe = pe->run.energy[i].total_pj();
      const double e_area = area->run.energy[i].total_pj();
      out << "," << tp.cycles << "," << real(e_pe) << "," << ta.cycles << "," << real(e_area) << ","
          << real(ratio(static_cast<double>(tp.cycles), cyc)) << ","
          << real(ratio(static_cast<double>(ta.cycles), cyc)) << "," << real(ratio(e_pe, e4)) << ","
          << real(ratio(e_area, e4));
    }
    out << ",";
    const std::optional<uint32_t> crc = output_crc(r, i);
    const std::optional<bool> match = crc_match(r, i);
    out << (crc ? crc_text(*crc) : "") << "," << (match ? (*match ? "true" : "false") : "") << "\n";
  }
  return out.str();
}

std::string legend(const RunResult& r) {
  const energy::Comparison& c = r.comparison;
  std::ostringstream out;
  const auto shape = [&](energy::PeKind kind, energy::Fit fit) {
    const ArrayRun& run = c.find(kind, fit)->run;
    return std::to_string(run.arch.array.rows) + "x" + std::to_string(run.arch.array.cols);
  };
  out << "spd = baseline cycles / 4-bit cycles; E = baseline energy / 4-bit energy; util = MACs / "
         "(cycles"
         " x PEs x MACs per PE-cycle);\n"
         "mem-bnd = GEMMs whose DRAM transfers take more cycles than their compute (memory-bound)."
         "\n"
         "iso-PE: a baseline array with as many PEs; iso-area: the baseline PEs that fit in the "
         "4-bit array's PE area.\n"
         "PE, area: one-FMA FP16 PEs ("
      << shape(energy::PeKind::kFp16, energy::Fit::kIsoPe) << ", "
      << shape(energy::PeKind::kFp16, energy::Fit::kIsoArea) << ")";
  const energy::Baseline* dot = c.find(energy::PeKind::kFp16Dot, energy::Fit::kIsoPe);
  if (dot != nullptr) {
    out << "; dPE, darea: FP16 dot-product PEs of " << dot->run.pe.lanes
        << " lanes, FP32 adder tree (" << shape(energy::PeKind::kFp16Dot, energy::Fit::kIsoPe)
        << ", " << shape(energy::PeKind::kFp16Dot, energy::Fit::kIsoArea) << ")";
  }
  out << ";\nhPE, harea: HFP8 PEs, E4M3 weights and activations, E5M2 gradients, FP16 accumulate ("
      << shape(energy::PeKind::kHfp8, energy::Fit::kIsoPe) << ", "
      << shape(energy::PeKind::kHfp8, energy::Fit::kIsoArea) << ").\n";
  return out.str();
}

std::string paper_claim(const RunResult& r) {
  const Totals four = totals_for(r, r.comparison.four_bit, nullptr);
  const Totals area = totals_for(r, fp16_iso_area(r), nullptr);
  char line[200];
  std::snprintf(line, sizeof line,
                "Sun et al. (NeurIPS 2020) claim more than 7x over FP16 hardware; this run: %.2fx "
                "at iso-area. Why they differ: docs/results.md\n",
                ratio(static_cast<double>(area.cycles), static_cast<double>(four.cycles)));
  return line;
}

std::string summary_table(const RunResult& r) {
  const energy::Comparison& c = r.comparison;
  std::ostringstream out;
  char line[200];
  out << "nibble run: " << r.workload.name << " on a " << r.arch().array.rows << "x"
      << r.arch().array.cols << " " << timing::dataflow_name(r.arch().array.dataflow)
      << " 4-bit array (" << r.arch().pe.lanes << (r.arch().pe.lanes == 1 ? " lane" : " lanes")
      << " per PE), " << timing::timing_mode_name(r.arch().mode) << " timing; baselines:";
  for (size_t b = 0; b < c.baselines.size(); ++b) {
    const ArrayRun& run = c.baselines[b].run;
    out << (b == 0 ? " " : ", ") << run.arch.array.rows << "x" << run.arch.array.cols << " "
        << c.baselines[b].label();
  }
  out << "\n";
  // The ratio columns: spd-<name> for each baseline, then E-<name>.
  std::vector<std::string> names;
  for (const energy::Baseline& b : c.baselines) {
    names.push_back(b.short_name());
  }
  std::snprintf(line, sizeof line, "%-6s %5s %15s %14s %7s %7s %11s", "pass", "gemms", "MACs",
                "cycles", "util", "mem-bnd", "energy uJ");
  out << line;
  for (const char* what : {"spd-", "E-"}) {
    for (const std::string& name : names) {
      std::snprintf(line, sizeof line, " %9s", (what + name).c_str());
      out << line;
    }
  }
  out << "\n";
  const auto row = [&](const char* name, const Pass* p) {
    const Totals t = totals_for(r, c.four_bit, p);
    if (t.gemms == 0) {
      return;
    }
    const std::vector<Totals> base = baseline_totals(r, p);
    std::snprintf(line, sizeof line, "%-6s %5lld %15lld %14lld %6.1f%% %7lld %11.1f", name,
                  static_cast<long long>(t.gemms), static_cast<long long>(t.macs),
                  static_cast<long long>(t.cycles), 100 * t.utilization,
                  static_cast<long long>(t.memory_bound_gemms), t.energy.total_pj() * 1e-6);
    out << line;
    for (const Totals& b : base) {
      std::snprintf(line, sizeof line, " %8.2fx",
                    ratio(static_cast<double>(b.cycles), static_cast<double>(t.cycles)));
      out << line;
    }
    for (const Totals& b : base) {
      std::snprintf(line, sizeof line, " %8.2fx", ratio(b.energy.total_pj(), t.energy.total_pj()));
      out << line;
    }
    out << "\n";
  };
  for (Pass p : kPasses) {
    row(p == Pass::kNone ? "-" : workload::pass_name(p), &p);
  }
  row("total", nullptr);
  const Totals all = totals_for(r, c.four_bit, nullptr);
  out << legend(r) << paper_claim(r);
  std::snprintf(line, sizeof line, "Time at %.3g GHz: %.6g ms\n", r.arch().clock_ghz,
                static_cast<double>(all.cycles) / (r.arch().clock_ghz * 1e6));
  out << line;
  return out.str();
}

}  // namespace nibble::report

namespace nibble::report {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string with_commas(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3) {
    s.insert(static_cast<size_t>(i), ",");
  }
  return s;
}

}  // namespace

std::string report_markdown(const RunResult& r) {
  const energy::Comparison& c = r.comparison;
  std::ostringstream md;
  const double ghz = r.arch().clock_ghz;
  md << "# nibble report: " << r.workload.name << "\n\n"
     << "Trace `" << r.trace_path << "`, " << r.workload.gemms.size() << " GEMMs, "
     << timing::timing_mode_name(r.arch().mode) << " timing at " << fixed(ghz, 2)
     << " GHz. Energy table `" << r.energy_table_path << "`, area table `" << r.area_table_path
     << "`. Definitions: docs/reports.md, docs/energy.md, docs/timing.md.\n\n";

  md << "## Arrays\n\n| array | PEs | dataflow | lanes | PE area (um^2) | PE array area (mm^2) |\n"
        "|---|---|---|---|---|---|\n";
  const auto array_row = [&](const std::string& name, const ArrayRun& run) {
    const int64_t pes = run.arch.array.rows * run.arch.array.cols;
    md << "| " << name << " | " << run.arch.array.rows << " x " << run.arch.array.cols << " | "
       << timing::dataflow_name(run.arch.array.dataflow) << " | " << run.pe.lanes << " | "
       << fixed(run.pe_area_um2, 0) << " | "
       << fixed(static_cast<double>(pes) * run.pe_area_um2 * 1e-6, 3) << " |\n";
  };
  array_row("4-bit (INT4/FP4 x INT4, FP16 accumulate)", c.four_bit);
  for (const energy::Baseline& b : c.baselines) {
    array_row(b.label(), b.run);
  }

  md << "\n## Totals and passes\n\n"
        "| pass | GEMMs | 4-bit cycles | time (ms) | util | 4-bit energy (uJ) |";
  for (const char* what : {"speedup", "energy ratio"}) {
    for (const energy::Baseline& b : c.baselines) {
      md << " " << what << " " << b.label() << " |";
    }
  }
  md << "\n|---|---|---|---|---|---|";
  for (size_t k = 0; k < 2 * c.baselines.size(); ++k) {
    md << "---|";
  }
  md << "\n";
  const auto pass_row = [&](const char* name, const Pass* p) {
    const Totals t = totals_for(r, c.four_bit, p);
    if (t.gemms == 0) {
      return;
    }
    const std::vector<Totals> base = baseline_totals(r, p);
    const auto cyc = static_cast<double>(t.cycles);
    md << "| " << name << " | " << t.gemms << " | " << with_commas(t.cycles) << " | "
       << fixed(cyc / (ghz * 1e6), 3) << " | " << fixed(100 * t.utilization, 1) << "% | "
       << fixed(t.energy.total_pj() * 1e-6, 1) << " |";
    for (const Totals& b : base) {
      md << " " << fixed(ratio(static_cast<double>(b.cycles), cyc), 2) << "x |";
    }
    for (const Totals& b : base) {
      md << " " << fixed(ratio(b.energy.total_pj(), t.energy.total_pj()), 2) << "x |";
    }
    md << "\n";
  };
  for (Pass p : kPasses) {
    pass_row(p == Pass::kNone ? "-" : workload::pass_name(p), &p);
  }
  pass_row("**total**", nullptr);

  md << "\n" << legend(r) << "\n" << paper_claim(r);

  md << "\n## Energy by component (uJ, whole run)\n\n| component | 4-bit |";
  for (const energy::Baseline& b : c.baselines) {
    md << " " << b.label() << " |";
  }
  md << "\n|---|---|";
  for (size_t k = 0; k < c.baselines.size(); ++k) {
    md << "---|";
  }
  md << "\n";
  const Totals t4 = totals_for(r, c.four_bit, nullptr);
  const std::vector<Totals> tb = baseline_totals(r, nullptr);
  const auto comp_row = [&](const char* name, double EnergyBreakdown::*field) {
    md << "| " << name << " | " << fixed(t4.energy.*field * 1e-6, 1) << " |";
    for (const Totals& b : tb) {
      md << " " << fixed(b.energy.*field * 1e-6, 1) << " |";
    }
    md << "\n";
  };
  comp_row("MAC (multiply / shift)", &EnergyBreakdown::mac_pj);
  comp_row("accumulate", &EnergyBreakdown::accumulate_pj);
  comp_row("scale unit", &EnergyBreakdown::scale_unit_pj);
  comp_row("PE registers (moves)", &EnergyBreakdown::pe_register_pj);
  comp_row("SRAM", &EnergyBreakdown::sram_pj);
  comp_row("DRAM", &EnergyBreakdown::dram_pj);
  comp_row("idle PEs", &EnergyBreakdown::pe_idle_pj);
  md << "| **total** | " << fixed(t4.energy.total_pj() * 1e-6, 1) << " |";
  for (const Totals& b : tb) {
    md << " " << fixed(b.energy.total_pj() * 1e-6, 1) << " |";
  }
  md << "\n";

  // The GEMMs where the 4-bit array gains least at equal area, with what limits them.
  std::vector<size_t> order(r.timings().size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  const ArrayRun& iso_area = fp16_iso_area(r);
  const auto speedup = [&](size_t i) {
    return ratio(static_cast<double>(iso_area.timings[i].cycles),
                 static_cast<double>(c.four_bit.timings[i].cycles));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return speedup(a) < speedup(b); });
  md << "\n## Lowest iso-area speedups\n\n"
        "| GEMM | M x N x K | speedup iso-area | 4-bit util | 4-bit bound | FP16 util |\n"
        "|---|---|---|---|---|---|\n";
  for (size_t k = 0; k < std::min<size_t>(10, order.size()); ++k) {
    const size_t i = order[k];
    const GemmSpec& g = r.workload.gemms[i];
    const GemmTiming& t = c.four_bit.timings[i];
    md << "| " << g.name << " | " << g.m << " x " << g.n << " x " << g.k << " | "
       << fixed(speedup(i), 2) << "x | " << fixed(100 * t.utilization, 1) << "% | "
       << timing::bound_name(t.bound) << " | " << fixed(100 * iso_area.timings[i].utilization, 1)
       << "% |\n";
  }
  md << "\n## Plots\n\n![cycles per layer](cycles_per_layer.png)\n\n"
        "![energy by component](energy_breakdown.png)\n\n"
        "![speedup per layer](speedup_per_layer.png)\n";
  return md.str();
}

}  // namespace nibble::report
