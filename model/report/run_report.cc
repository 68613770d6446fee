#include "model/report/run_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/report/pyfloat.h"

namespace nibble::report {
namespace {

using nlohmann::ordered_json;
using timing::GemmTiming;
using workload::GemmSpec;
using workload::Pass;

constexpr const char* kVersion = "0.1.0";
constexpr Pass kPasses[] = {Pass::kFwd, Pass::kDgrad, Pass::kWgrad, Pass::kNone};

// The MAC slots a GEMM had: cycles * PEs * MACs per PE per cycle for its formats.
double peak_macs(const RunResult& r, size_t i) {
  const timing::TilePlan p = timing::plan_tiles(r.workload.gemms[i], r.arch);
  const double rate = r.arch.mode == timing::TimingMode::kCompat ? 1.0 : p.macs_per_cycle;
  return static_cast<double>(r.timings[i].cycles) *
         static_cast<double>(r.arch.array.rows * r.arch.array.cols) * rate;
}

ordered_json totals_json(const Totals& t, double clock_ghz) {
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
  return j;
}

}  // namespace

Totals totals_of(const RunResult& r, const Pass* only_pass) {
  Totals t;
  double peak = 0;
  for (size_t i = 0; i < r.timings.size(); ++i) {
    if (only_pass != nullptr && r.workload.gemms[i].pass != *only_pass) {
      continue;
    }
    const GemmTiming& g = r.timings[i];
    ++t.gemms;
    t.macs += g.macs;
    t.cycles += g.cycles;
    t.compute_cycles += g.compute_cycles;
    t.stall_cycles += g.stall_cycles;
    t.dram_read_bytes += g.dram_read_bytes;
    t.dram_write_bytes += g.dram_write_bytes;
    t.memory_bound_gemms += g.bound == timing::Bound::kMemory ? 1 : 0;
    peak += peak_macs(r, i);
  }
  t.utilization = peak > 0 ? static_cast<double>(t.macs) / peak : 0;
  return t;
}

std::string run_report_json(const RunResult& r) {
  ordered_json j;
  j["nibble_version"] = kVersion;
  j["trace"] = r.trace_path;
  j["workload"] = r.workload.name;
  j["timing_mode"] = timing::timing_mode_name(r.arch.mode);
  j["array"] = {{"rows", r.arch.array.rows},
                {"cols", r.arch.array.cols},
                {"dataflow", timing::dataflow_name(r.arch.array.dataflow)}};
  j["clock_ghz"] = r.arch.clock_ghz;
  j["totals"] = totals_json(totals_of(r, nullptr), r.arch.clock_ghz);
  ordered_json passes = ordered_json::object();
  for (Pass p : kPasses) {
    const Totals t = totals_of(r, &p);
    if (t.gemms > 0) {
      passes[p == Pass::kNone ? "none" : workload::pass_name(p)] = totals_json(t, r.arch.clock_ghz);
    }
  }
  j["passes"] = passes;
  ordered_json gemms = ordered_json::array();
  for (size_t i = 0; i < r.timings.size(); ++i) {
    const GemmSpec& g = r.workload.gemms[i];
    const GemmTiming& t = r.timings[i];
    gemms.push_back({{"name", g.name},
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
                     {"tiles", t.tiles}});
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
                                                    "tiles"};
  return kColumns;
}

std::string layers_csv(const RunResult& r) {
  std::ostringstream out;
  const auto& cols = layers_csv_columns();
  for (size_t c = 0; c < cols.size(); ++c) {
    out << (c == 0 ? "" : ",") << cols[c];
  }
  out << "\n";
  for (size_t i = 0; i < r.timings.size(); ++i) {
    const GemmSpec& g = r.workload.gemms[i];
    const GemmTiming& t = r.timings[i];
    out << g.name << "," << workload::pass_name(g.pass) << "," << g.m << "," << g.n << "," << g.k
        << "," << workload::format_spec_name(g.a) << "," << workload::format_spec_name(g.b) << ","
        << workload::format_spec_name(g.out) << "," << g.repeat << "," << t.macs << "," << t.cycles
        << "," << t.compute_cycles << "," << t.stall_cycles << ","
        << python_float_repr(t.utilization) << "," << timing::bound_name(t.bound) << ","
        << t.dram_read_bytes << "," << t.dram_write_bytes << "," << t.tiles << "\n";
  }
  return out.str();
}

std::string summary_table(const RunResult& r) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%-8s %6s %16s %16s %8s %8s\n", "pass", "gemms", "MACs",
                "cycles", "util", "mem-bnd");
  out << "nibble run: " << r.workload.name << " on " << r.arch.array.rows << "x"
      << r.arch.array.cols << " " << timing::dataflow_name(r.arch.array.dataflow) << ", "
      << timing::timing_mode_name(r.arch.mode) << " timing\n"
      << line;
  const auto row = [&](const char* name, const Totals& t) {
    std::snprintf(line, sizeof line, "%-8s %6lld %16lld %16lld %7.1f%% %8lld\n", name,
                  static_cast<long long>(t.gemms), static_cast<long long>(t.macs),
                  static_cast<long long>(t.cycles), 100 * t.utilization,
                  static_cast<long long>(t.memory_bound_gemms));
    out << line;
  };
  for (Pass p : kPasses) {
    const Totals t = totals_of(r, &p);
    if (t.gemms > 0) {
      row(p == Pass::kNone ? "-" : workload::pass_name(p), t);
    }
  }
  const Totals all = totals_of(r, nullptr);
  row("total", all);
  std::snprintf(line, sizeof line, "time at %.3g GHz: %.6g ms\n", r.arch.clock_ghz,
                static_cast<double>(all.cycles) / (r.arch.clock_ghz * 1e6));
  out << line;
  return out.str();
}

}  // namespace nibble::report
