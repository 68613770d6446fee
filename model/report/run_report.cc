#include "model/report/run_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
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

ordered_json array_json(const ArrayRun& run, double pe_area_um2) {
  const int64_t pes = run.arch.array.rows * run.arch.array.cols;
  return {{"rows", run.arch.array.rows},
          {"cols", run.arch.array.cols},
          {"dataflow", timing::dataflow_name(run.arch.array.dataflow)},
          {"pe", run.pe.kind == energy::PeKind::kInt4 ? "int4" : "fp16"},
          {"pe_area_um2", pe_area_um2},
          {"pe_array_area_mm2", static_cast<double>(pes) * pe_area_um2 * 1e-6}};
}

// The 4-bit totals (the fields of issue 4's report first), then energy and the comparisons.
ordered_json totals_json(const Totals& t, const Totals& iso_pe, const Totals& iso_area,
                         double clock_ghz) {
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
  j["fp16_iso_pe"] = baseline(iso_pe);
  j["fp16_iso_area"] = baseline(iso_area);
  j["speedup_iso_pe"] = ratio(static_cast<double>(iso_pe.cycles), static_cast<double>(t.cycles));
  j["speedup_iso_area"] =
      ratio(static_cast<double>(iso_area.cycles), static_cast<double>(t.cycles));
  j["energy_ratio_iso_pe"] = ratio(iso_pe.energy.total_pj(), t.energy.total_pj());
  j["energy_ratio_iso_area"] = ratio(iso_area.energy.total_pj(), t.energy.total_pj());
  return j;
}

Totals totals_for(const RunResult& r, const ArrayRun& run, const Pass* pass) {
  return totals_of(r.workload, run, pass);
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
  j["arrays"] = {{"4bit", array_json(c.four_bit, c.pe_area_4bit_um2)},
                 {"fp16_iso_pe", array_json(c.fp16_iso_pe, c.pe_area_fp16_um2)},
                 {"fp16_iso_area", array_json(c.fp16_iso_area, c.pe_area_fp16_um2)}};
  const auto totals = [&](const Pass* p) {
    return totals_json(totals_for(r, c.four_bit, p), totals_for(r, c.fp16_iso_pe, p),
                       totals_for(r, c.fp16_iso_area, p), r.arch().clock_ghz);
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
                          {"energy_pj", energy_json(run.energy[i])}};
    };
    const double e4 = c.four_bit.energy[i].total_pj();
    const auto cyc = static_cast<double>(t.cycles);
    const std::optional<bool> match = crc_match(r, i);
    gemms.push_back(
        {{"name", g.name},
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
         {"energy_pj", energy_json(c.four_bit.energy[i])},
         {"fp16_iso_pe", baseline(c.fp16_iso_pe)},
         {"fp16_iso_area", baseline(c.fp16_iso_area)},
         {"speedup_iso_pe", ratio(static_cast<double>(c.fp16_iso_pe.timings[i].cycles), cyc)},
         {"speedup_iso_area", ratio(static_cast<double>(c.fp16_iso_area.timings[i].cycles), cyc)},
         {"energy_ratio_iso_pe", ratio(c.fp16_iso_pe.energy[i].total_pj(), e4)},
         {"energy_ratio_iso_area", ratio(c.fp16_iso_area.energy[i].total_pj(), e4)},
         {"output_crc", optional_crc_json(output_crc(r, i))},
         {"expected_crc", optional_crc_json(g.data.expect_crc)},
         {"crc_match", match ? ordered_json(*match) : ordered_json(nullptr)}});
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
                                                    "energy_pj",
                                                    "fp16_iso_pe_cycles",
                                                    "fp16_iso_pe_energy_pj",
                                                    "fp16_iso_area_cycles",
                                                    "fp16_iso_area_energy_pj",
                                                    "speedup_iso_pe",
                                                    "speedup_iso_area",
                                                    "energy_ratio_iso_pe",
                                                    "energy_ratio_iso_area",
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
    const GemmTiming& pe = c.fp16_iso_pe.timings[i];
    const GemmTiming& area = c.fp16_iso_area.timings[i];
    const double e_pe = c.fp16_iso_pe.energy[i].total_pj();
    const double e_area = c.fp16_iso_area.energy[i].total_pj();
    out << g.name << "," << workload::pass_name(g.pass) << "," << g.m << "," << g.n << "," << g.k
        << "," << workload::format_spec_name(g.a) << "," << workload::format_spec_name(g.b) << ","
        << workload::format_spec_name(g.out) << "," << g.repeat << "," << t.macs << "," << t.cycles
        << "," << t.compute_cycles << "," << t.stall_cycles << "," << real(t.utilization) << ","
        << timing::bound_name(t.bound) << "," << t.dram_read_bytes << "," << t.dram_write_bytes
        << "," << t.tiles << "," << real(e4) << "," << pe.cycles << "," << real(e_pe) << ","
        << area.cycles << "," << real(e_area) << ","
        << real(ratio(static_cast<double>(pe.cycles), cyc)) << ","
        << real(ratio(static_cast<double>(area.cycles), cyc)) << "," << real(ratio(e_pe, e4)) << ","
        << real(ratio(e_area, e4)) << ",";
    const std::optional<uint32_t> crc = output_crc(r, i);
    const std::optional<bool> match = crc_match(r, i);
    out << (crc ? crc_text(*crc) : "") << "," << (match ? (*match ? "true" : "false") : "")
        << "\n";
  }
  return out.str();
}

std::string legend(const RunResult& r) {
  const energy::Comparison& c = r.comparison;
  std::ostringstream out;
  out << "spd = FP16 cycles / 4-bit cycles; E = FP16 energy / 4-bit energy; util = MACs / (cycles"
         " x PEs x MACs per PE-cycle);\n"
         "mem-bnd = GEMMs whose DRAM transfers take more cycles than their compute (memory-bound)."
         "\n"
         "iso-PE: an FP16 array with as many PEs ("
      << c.fp16_iso_pe.arch.array.rows << "x" << c.fp16_iso_pe.arch.array.cols
      << "); iso-area: the FP16 PEs that fit in the 4-bit array's PE area ("
      << c.fp16_iso_area.arch.array.rows << "x" << c.fp16_iso_area.arch.array.cols << ").\n";
  return out.str();
}

std::string paper_claim(const RunResult& r) {
  const Totals four = totals_for(r, r.comparison.four_bit, nullptr);
  const Totals area = totals_for(r, r.comparison.fp16_iso_area, nullptr);
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
      << " per PE), " << timing::timing_mode_name(r.arch().mode) << " timing; FP16 baseline "
      << c.fp16_iso_pe.arch.array.rows << "x" << c.fp16_iso_pe.arch.array.cols << " (iso-PE), "
      << c.fp16_iso_area.arch.array.rows << "x" << c.fp16_iso_area.arch.array.cols
      << " (iso-area)\n";
  std::snprintf(line, sizeof line, "%-6s %5s %15s %14s %7s %7s %11s %9s %9s %9s %9s\n", "pass",
                "gemms", "MACs", "cycles", "util", "mem-bnd", "energy uJ", "spd-PE", "spd-area",
                "E-PE", "E-area");
  out << line;
  const auto row = [&](const char* name, const Pass* p) {
    const Totals t = totals_for(r, c.four_bit, p);
    const Totals pe = totals_for(r, c.fp16_iso_pe, p);
    const Totals area = totals_for(r, c.fp16_iso_area, p);
    if (t.gemms == 0) {
      return;
    }
    const auto cyc = static_cast<double>(t.cycles);
    std::snprintf(line, sizeof line,
                  "%-6s %5lld %15lld %14lld %6.1f%% %7lld %11.1f %8.2fx %8.2fx %8.2fx %8.2fx\n",
                  name, static_cast<long long>(t.gemms), static_cast<long long>(t.macs),
                  static_cast<long long>(t.cycles), 100 * t.utilization,
                  static_cast<long long>(t.memory_bound_gemms), t.energy.total_pj() * 1e-6,
                  ratio(static_cast<double>(pe.cycles), cyc),
                  ratio(static_cast<double>(area.cycles), cyc),
                  ratio(pe.energy.total_pj(), t.energy.total_pj()),
                  ratio(area.energy.total_pj(), t.energy.total_pj()));
    out << line;
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

  md << "## Arrays\n\n| array | PEs | dataflow | PE area (um^2) | PE array area (mm^2) |\n"
        "|---|---|---|---|---|\n";
  const auto array_row = [&](const char* name, const ArrayRun& run, double pe_area) {
    const int64_t pes = run.arch.array.rows * run.arch.array.cols;
    md << "| " << name << " | " << run.arch.array.rows << " x " << run.arch.array.cols << " | "
       << timing::dataflow_name(run.arch.array.dataflow) << " | " << fixed(pe_area, 0) << " | "
       << fixed(static_cast<double>(pes) * pe_area * 1e-6, 3) << " |\n";
  };
  array_row("4-bit (INT4/FP4 x INT4, FP16 accumulate)", c.four_bit, c.pe_area_4bit_um2);
  array_row("FP16 iso-PE", c.fp16_iso_pe, c.pe_area_fp16_um2);
  array_row("FP16 iso-area", c.fp16_iso_area, c.pe_area_fp16_um2);

  md << "\n## Totals and passes\n\n"
        "| pass | GEMMs | 4-bit cycles | time (ms) | util | 4-bit energy (uJ) | speedup iso-PE "
        "| speedup iso-area | energy ratio iso-PE | energy ratio iso-area |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  const auto pass_row = [&](const char* name, const Pass* p) {
    const Totals t = totals_for(r, c.four_bit, p);
    if (t.gemms == 0) {
      return;
    }
    const Totals pe = totals_for(r, c.fp16_iso_pe, p);
    const Totals area = totals_for(r, c.fp16_iso_area, p);
    const auto cyc = static_cast<double>(t.cycles);
    md << "| " << name << " | " << t.gemms << " | " << with_commas(t.cycles) << " | "
       << fixed(cyc / (ghz * 1e6), 3) << " | " << fixed(100 * t.utilization, 1) << "% | "
       << fixed(t.energy.total_pj() * 1e-6, 1) << " | "
       << fixed(ratio(static_cast<double>(pe.cycles), cyc), 2) << "x | "
       << fixed(ratio(static_cast<double>(area.cycles), cyc), 2) << "x | "
       << fixed(ratio(pe.energy.total_pj(), t.energy.total_pj()), 2) << "x | "
       << fixed(ratio(area.energy.total_pj(), t.energy.total_pj()), 2) << "x |\n";
  };
  for (Pass p : kPasses) {
    pass_row(p == Pass::kNone ? "-" : workload::pass_name(p), &p);
  }
  pass_row("**total**", nullptr);

  md << "\n" << legend(r) << "\n" << paper_claim(r);

  md << "\n## Energy by component (uJ, whole run)\n\n"
        "| component | 4-bit | FP16 iso-PE | FP16 iso-area |\n|---|---|---|---|\n";
  const Totals t4 = totals_for(r, c.four_bit, nullptr);
  const Totals tp = totals_for(r, c.fp16_iso_pe, nullptr);
  const Totals ta = totals_for(r, c.fp16_iso_area, nullptr);
  const auto comp_row = [&](const char* name, double EnergyBreakdown::*field) {
    md << "| " << name << " | " << fixed(t4.energy.*field * 1e-6, 1) << " | "
       << fixed(tp.energy.*field * 1e-6, 1) << " | " << fixed(ta.energy.*field * 1e-6, 1) << " |\n";
  };
  comp_row("MAC (multiply / shift)", &EnergyBreakdown::mac_pj);
  comp_row("accumulate", &EnergyBreakdown::accumulate_pj);
  comp_row("scale unit", &EnergyBreakdown::scale_unit_pj);
  comp_row("PE registers (moves)", &EnergyBreakdown::pe_register_pj);
  comp_row("SRAM", &EnergyBreakdown::sram_pj);
  comp_row("DRAM", &EnergyBreakdown::dram_pj);
  comp_row("idle PEs", &EnergyBreakdown::pe_idle_pj);
  md << "| **total** | " << fixed(t4.energy.total_pj() * 1e-6, 1) << " | "
     << fixed(tp.energy.total_pj() * 1e-6, 1) << " | " << fixed(ta.energy.total_pj() * 1e-6, 1)
     << " |\n";

  // The GEMMs where the 4-bit array gains least at equal area, with what limits them.
  std::vector<size_t> order(r.timings().size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  const auto speedup = [&](size_t i) {
    return ratio(static_cast<double>(c.fp16_iso_area.timings[i].cycles),
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
       << timing::bound_name(t.bound) << " | "
       << fixed(100 * c.fp16_iso_area.timings[i].utilization, 1) << "% |\n";
  }
  md << "\n## Plots\n\n![cycles per layer](cycles_per_layer.png)\n\n"
        "![energy by component](energy_breakdown.png)\n\n"
        "![speedup per layer](speedup_per_layer.png)\n";
  return md.str();
}

}  // namespace nibble::report
