#include "testbenches/cosim/cosim.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "model/energy/baseline.h"
#include "model/functional/tensors.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"
#include "model/numerics/grad_scale.h"
#include "model/numerics/int4.h"
#include "model/report/pyfloat.h"
#include "model/report/run_report.h"
#include "model/sc/engine.h"
#include "model/sc/scale_unit.h"
#include "model/timing/int_math.h"
#include "model/timing/realistic.h"

namespace nibble::cosim {

namespace {

// a + b for counts a, b >= 0, at most INT64_MAX.
int64_t saturated_sum(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}

std::string where(const workload::GemmSpec& g) { return workload::gemm_where(g) + ": "; }

}  // namespace

double CosimRow::error_pct() const {
  if (model_cycles == 0) {
    return rtl_cycles == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return 100.0 * static_cast<double>(rtl_cycles - model_cycles) / static_cast<double>(model_cycles);
}

void check_cosim_input(const workload::Workload& w, const timing::ArchSpec& arch) {
  if (arch.mode != timing::TimingMode::kRealistic) {
    throw std::invalid_argument(
        "timing.mode: compat: the co-simulation tiles GEMMs as realistic timing does "
        "(timing.mode: realistic)");
  }
  if (!rtl_array_built(arch.array.rows, arch.array.cols, arch.pe.lanes)) {
    throw std::invalid_argument(
        rtl_array_not_built(arch.array.rows, arch.array.cols, arch.pe.lanes));
  }
  for (const workload::GemmSpec& g : w.gemms) {
    if (!num::is_4bit(g.a.format) || !num::is_4bit(g.b.format) ||
        (g.a.format == num::Format::kFp4 && g.b.format == num::Format::kFp4)) {
      throw std::invalid_argument(where(g) + "the RTL array multiplies 4-bit PE pairs only (a=" +
                                  workload::format_spec_name(g.a) +
                                  " b=" + workload::format_spec_name(g.b) + ")");
    }
    const bool out_ok = num::is_4bit(g.out.format) || g.out.format == num::Format::kFp16;
    if (!out_ok) {
      throw std::invalid_argument(where(g) + "the RTL scale unit has no " +
                                  workload::format_spec_name(g.out) + " output");
    }
  }
}

std::vector<uint16_t> rtl_outputs(RtlScaleUnit& unit, const workload::GemmSpec& g,
                                  const datapath::Accumulators& acc,
                                  const std::vector<num::Fp16>& scales, num::GradScaleState* grad) {
  const num::OutputSpec spec = sc::output_spec(g.out);
  if (g.out.format != num::Format::kFp4) {
    return unit.convert(acc, spec, scales);  // every repeat gives the same elements
  }
  // Every repeat computes the same accumulators, so it makes the same observation; the
  // elements are those of the last repeat, scaled by the factor before its update.
  num::GradScaleObservation observed;
  for (const num::Fp16 v : acc.values) {
    observed.observe(v);
  }
  num::GradScaleParams params;
  params.fp4_bias = spec.fp4.bias;
  for (int64_t rep = 0; rep + 1 < g.repeat; ++rep) {
    grad->update(g.name, observed, params);
  }
  std::vector<uint16_t> out = unit.convert(acc, spec, {grad->factor(g.name)});
  grad->update(g.name, observed, params);
  return out;
}

std::vector<CosimRow> run_cosim(
    const workload::Workload& w, const timing::ArchSpec& arch,
    const std::vector<fn::GemmTensors>& tensors, const RtlOptions& rtl_options,
    const std::function<void(int64_t gemms, int64_t macs)>& on_rtl_progress) {
  check_cosim_input(w, arch);
  if (tensors.size() != w.gemms.size()) {
    throw std::invalid_argument("run_cosim: " + std::to_string(tensors.size()) + " tensors for " +
                                std::to_string(w.gemms.size()) + " GEMMs");
  }
  // The model: the SystemC engine, functional mode, on the same tensors.
  sc::EngineJob job;
  job.name = energy::kFourBitName;
  job.workload = &w;
  job.arch = arch;
  job.mode = sc::EngineMode::kFunctional;
  job.tensors = [&tensors](size_t i) { return tensors[i]; };
  sc::EngineOptions engine_options;
  engine_options.keep_outputs = true;  // compared element by element below
  const std::vector<sc::GemmResult> model = sc::run_engine({job}, engine_options).front();

  // The RTL, GEMM after GEMM on one array.
  int64_t gemms_done = 0;
  int64_t macs_done = 0;     // of the GEMMs done
  int64_t running_macs = 0;  // of the GEMM running
  RtlOptions options = rtl_options;
  if (on_rtl_progress) {
    options.on_progress = [&](double tiles_issued) {
      // The running GEMM's share of its MACs (a double near 2^63 may round past them), added
      // to the GEMMs done without passing INT64_MAX (total_macs_saturated's total).
      const double share = tiles_issued * static_cast<double>(running_macs);
      const int64_t partial =
          share >= static_cast<double>(running_macs) ? running_macs : static_cast<int64_t>(share);
      on_rtl_progress(gemms_done, saturated_sum(macs_done, partial));
    };
  }
  RtlArray array(arch.array.rows, arch.array.cols, arch.pe.lanes, options);
  RtlScaleUnit unit;
  num::GradScaleState grad;  // per GEMM name, as the model's scale unit keeps it
  std::vector<CosimRow> rows;
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    const workload::GemmSpec& g = w.gemms[i];
    const fn::GemmTensors& t = tensors[i];
    running_macs = workload::checked_total_macs(g).value_or(std::numeric_limits<int64_t>::max());
    const RtlGemm r = array.run(g, arch, t);
    const std::vector<uint16_t> out = rtl_outputs(unit, g, r.acc, t.scales, &grad);
    CosimRow row;
    row.gemm = &g;
    row.rtl_crc = fn::output_crc(out, g.out);
    row.model_crc = model[i].output_crc.value();
    row.rtl_cycles = timing::checked_mul(r.cycles, g.repeat);
    row.model_cycles = timing::checked_mul(timing::array_schedule_cycles(g, arch), g.repeat);
    row.model_total_cycles = model[i].timing.cycles;
    const std::vector<uint16_t>& want = model[i].output;
    if (want.size() != out.size()) {
      throw std::logic_error(where(g) + "the model gave " + std::to_string(want.size()) +
                             " output elements, the RTL " + std::to_string(out.size()));
    }
    for (size_t e = 0; e < out.size(); ++e) {
      if (out[e] == want[e]) {
        continue;
      }
      if (row.differing++ == 0) {
        row.first.m = static_cast<int64_t>(e) / g.n;
        row.first.n = static_cast<int64_t>(e) % g.n;
        row.first.model = want[e];
        row.first.rtl = out[e];
        row.first.tile = r.tile[e];
        row.first.tiles = r.tiles;
        row.first.cycle = r.cycle[e];
      }
    }
    row.rtl_output = out;
    row.model_output = want;
    rows.push_back(std::move(row));
    ++gemms_done;
    macs_done = saturated_sum(macs_done, running_macs);
    if (on_rtl_progress) {
      on_rtl_progress(gemms_done, macs_done);
    }
  }
  array.finish_waves();
  return rows;
}

std::string cosim_csv(const std::vector<CosimRow>& rows, const timing::ArchSpec& arch) {
  std::ostringstream out;
  out << "gemm,m,n,k,repeat,dataflow,a,b,out,rtl_crc,model_crc,match,rtl_cycles,model_cycles,"
         "error_pct,model_total_cycles\n";
  for (const CosimRow& r : rows) {
    const workload::GemmSpec& g = *r.gemm;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.3f", r.error_pct());
    out << g.name << "," << g.m << "," << g.n << "," << g.k << "," << g.repeat << ","
        << timing::dataflow_name(arch.array.dataflow) << "," << workload::format_spec_name(g.a)
        << "," << workload::format_spec_name(g.b) << "," << workload::format_spec_name(g.out) << ","
        << report::crc_text(r.rtl_crc) << "," << report::crc_text(r.model_crc) << ","
        << (r.match() ? "true" : "false") << "," << r.rtl_cycles << "," << r.model_cycles << ","
        << pct << "," << r.model_total_cycles << "\n";
  }
  return out.str();
}

double output_value(const workload::FormatSpec& out, uint16_t code) {
  const auto c4 = static_cast<num::Code4>(code & 0xF);
  switch (out.format) {
    case num::Format::kInt4:
      return num::int4_value(c4);
    case num::Format::kUint4:
      return num::uint4_value(c4);
    case num::Format::kFp4:
      return num::fp4_value(c4, sc::output_spec(out).fp4);
    default:
      return num::Fp16::from_bits(code).to_double();
  }
}

namespace {

// A code as hex digits of its format's width: 0x7 for a 4-bit code, 0x3c00 for binary16.
std::string code_hex(const workload::FormatSpec& out, uint16_t code) {
  char text[16];
  std::snprintf(text, sizeof text, num::is_4bit(out.format) ? "0x%x" : "0x%04x", code);
  return text;
}

// The value as the shortest decimal that reads back the same ("inf", "-inf", "nan" too).
std::string value_text(double v) { return report::python_float_repr(v); }

size_t differing_gemms(const std::vector<CosimRow>& rows) {
  size_t n = 0;
  for (const CosimRow& r : rows) {
    n += r.match() ? 0 : 1;
  }
  return n;
}

}  // namespace

std::string mismatch_text(const std::vector<CosimRow>& rows) {
  std::ostringstream out;
  const size_t differ = differing_gemms(rows);
  if (differ == 0) {
    out << "nibble cosim: all " << rows.size()
        << " GEMMs bit-identical, RTL against the SystemC model, element by element.\n";
    return out.str();
  }
  out << "nibble cosim: " << differ << " of " << rows.size()
      << " GEMMs differ, RTL against the SystemC model, element by element.\n";
  for (const CosimRow& r : rows) {
    if (r.match()) {
      continue;
    }
    const workload::GemmSpec& g = *r.gemm;
    const workload::FormatSpec& f = g.out;
    out << "\n"
        << workload::gemm_where(g) << ": " << r.differing << " of " << g.m * g.n
        << " output elements differ (" << workload::format_spec_name(f) << ")\n";
    if (r.differing == 0) {
      out << "  the elements agree; the CRCs differ: RTL " << report::crc_text(r.rtl_crc)
          << ", model " << report::crc_text(r.model_crc) << "\n";
      continue;
    }
    const FirstDiff& d = r.first;
    out << "  first: C[" << d.m << "][" << d.n << "] (row " << d.m << ", column " << d.n << ")\n"
        << "    model: " << code_hex(f, d.model) << " = " << value_text(output_value(f, d.model))
        << "\n"
        << "    RTL:   " << code_hex(f, d.rtl) << " = " << value_text(output_value(f, d.rtl))
        << "\n"
        << "  made by tile " << d.tile << " of " << d.tiles << " (timing's tile order), leaving "
        << "the array in cycle " << d.cycle << " of the GEMM's " << r.rtl_cycles / g.repeat
        << " (one repeat)\n";
  }
  return out.str();
}

std::string mismatch_json(const std::vector<CosimRow>& rows) {
  using Json = nlohmann::ordered_json;
  const auto value = [](double v) { return std::isfinite(v) ? Json(v) : Json(value_text(v)); };
  Json gemms = Json::array();
  for (const CosimRow& r : rows) {
    if (r.match()) {
      continue;
    }
    const workload::GemmSpec& g = *r.gemm;
    const workload::FormatSpec& f = g.out;
    Json x = {{"gemm", g.name},
              {"where", workload::gemm_where(g)},
              {"out", workload::format_spec_name(f)},
              {"elements", g.m * g.n},
              {"differing_elements", r.differing},
              {"rtl_crc", report::crc_text(r.rtl_crc)},
              {"model_crc", report::crc_text(r.model_crc)}};
    if (r.differing > 0) {
      const FirstDiff& d = r.first;
      x["first"] = {
          {"row", d.m},
          {"col", d.n},
          {"model", {{"hex", code_hex(f, d.model)}, {"value", value(output_value(f, d.model))}}},
          {"rtl", {{"hex", code_hex(f, d.rtl)}, {"value", value(output_value(f, d.rtl))}}},
          {"tile", d.tile},
          {"tiles", d.tiles},
          {"cycle", d.cycle}};
    } else {
      x["first"] = nullptr;
    }
    gemms.push_back(std::move(x));
  }
  const Json j = {
      {"gemms", rows.size()}, {"differing_gemms", differing_gemms(rows)}, {"mismatches", gemms}};
  return j.dump(2) + "\n";
}

}  // namespace nibble::cosim
