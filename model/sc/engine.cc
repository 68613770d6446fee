#include "model/sc/engine.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <systemc>
#include <tlm>

#include "model/numerics/product.h"
#include "model/numerics/scale_unit.h"
#include "model/sc/accelerator.h"
#include "model/sc/asan_stacks.h"
#include "model/sc/cycles.h"
#include "model/sc/scale_unit.h"

// libsystemc provides main(), which calls sc_main(); nibble's programs have their own main()
// and call run_engine instead, so this sc_main only satisfies the library's reference to it.
int sc_main(int /*argc*/, char* /*argv*/[]) {
  std::cerr << "nibble: sc_main is not used; programs call nibble::sc::run_engine\n";
  return 1;
}

namespace nibble::sc {

const char* engine_mode_name(EngineMode m) {
  switch (m) {
    case EngineMode::kTimingOnly:
      return "timing-only";
    case EngineMode::kFunctional:
      return "functional";
    case EngineMode::kDetailed:
      return "detailed";
  }
  return "?";
}

namespace {

// The DMA's quantum (docs/systemc.md, "Time"): how far its local time may run ahead of the
// kernel before it synchronizes. Results do not depend on it; it only trades context
// switches for look-ahead.
constexpr int64_t kQuantumCycles = 10000;

std::string array_name(const timing::ArchSpec& arch) {
  return std::to_string(arch.array.rows) + "x" + std::to_string(arch.array.cols);
}

// Functional and detailed modes run on realistic timing, with 4-bit operand pairs and an
// output format the scale unit produces.
void validate_job(const EngineJob& job, size_t index) {
  if (job.workload == nullptr) {
    throw std::invalid_argument("job " + std::to_string(index) + ": no workload");
  }
  const bool name_ok = std::all_of(job.name.begin(), job.name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  });
  if (!name_ok) {
    throw std::invalid_argument("job " + std::to_string(index) + ": name '" + job.name +
                                "': expected letters, digits and '_'");
  }
  if (job.mode == EngineMode::kTimingOnly) {
    return;
  }
  const std::string mode = engine_mode_name(job.mode);
  if (!job.tensors) {
    throw std::invalid_argument("job " + std::to_string(index) + ": " + mode +
                                " mode needs a tensor source");
  }
  for (const workload::GemmSpec& g : job.workload->gemms) {
    if (job.arch.mode != timing::TimingMode::kRealistic) {
      throw std::invalid_argument(workload::gemm_where(g) + ": " + mode +
                                  " mode needs timing.mode realistic, not " +
                                  timing::timing_mode_name(job.arch.mode));
    }
    const auto fail = [&](const std::string& why) {
      throw std::invalid_argument(
          workload::gemm_where(g) + ": " + mode + " mode needs a 4-bit operand pair (" +
          workload::format_spec_name(g.a) + " x " + workload::format_spec_name(g.b) + "): " + why);
    };
    if (const auto error = workload::operand_pair_error(g.a, g.b)) {
      fail(*error);
    }
    if (!num::is_4bit(g.a.format) || !num::is_4bit(g.b.format)) {
      fail("only int4, uint4 and fp4 operands have values in functional mode");
    }
    try {
      num::validate_pair({g.a.format, {num::kFp4DefaultBias, g.a.tpr_phase}},
                         {g.b.format, {num::kFp4DefaultBias, g.b.tpr_phase}});
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
    try {
      num::validate(output_spec(g.out));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(workload::gemm_where(g) + ": " + mode + " mode: output format " +
                                  workload::format_spec_name(g.out) + ": " + e.what());
    }
  }
}

// SystemC 2.3's message type SC_ID_TRACING_CLOSE_EMPTY_FILE_ (sysc/tracing/sc_tracing_ids.h,
// not a public header): the text is the type.
constexpr const char* kVcdClosedEmpty =
    "trace file closed before any cycles were traced, file not written";

// Reports from the kernel: information is dropped (it would go to stdout, which belongs to
// nibble's reports), warnings go to stderr, errors and fatals throw as usual. One warning is
// dropped too: a run that fails before its first cycle ends with a VCD file that the kernel
// does not write, and says so; the run's own one-line error is what the user needs.
void report_handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() == sc_core::SC_INFO ||
      std::strcmp(report.get_msg_type(), kVcdClosedEmpty) == 0) {
    return;
  }
  if (report.get_severity() == sc_core::SC_WARNING) {
    std::cerr << "systemc warning: " << report.get_msg_type() << ": " << report.get_msg() << '\n';
    return;
  }
  sc_core::sc_report_handler::default_handler(report, actions & ~sc_core::SC_DISPLAY);
}

// Rethrows an exception that ended a job's simulation, naming the GEMM it was working on.
[[noreturn]] void rethrow(std::exception_ptr error, const EngineJob& job, size_t gemm) {
  const bool known = gemm < job.workload->gemms.size();
  try {
    std::rethrow_exception(error);
  } catch (const std::overflow_error& e) {
    if (!known) {
      throw;
    }
    throw std::overflow_error(workload::gemm_where(job.workload->gemms[gemm]) + " on the " +
                              array_name(job.arch) + " array: " + e.what());
  } catch (const std::logic_error& e) {
    if (!known || dynamic_cast<const std::invalid_argument*>(&e) != nullptr) {
      throw;
    }
    throw std::logic_error(workload::gemm_where(job.workload->gemms[gemm]) + " on the " +
                           array_name(job.arch) + " array: " + e.what());
  }
}

// Closes the VCD file on every way out of run_engine; SystemC appends ".vcd" to the name it
// is given, so a path with another suffix is renamed afterwards. When run_engine leaves by an
// exception the waves are incomplete: the file is removed.
class VcdFile {
 public:
  explicit VcdFile(const std::string& path)
      : path_(path), exceptions_at_start_(std::uncaught_exceptions()) {
    if (path_.empty()) {
      return;
    }
    const bool suffix = path_.size() >= 4 && path_.compare(path_.size() - 4, 4, ".vcd") == 0;
    base_ = suffix ? path_.substr(0, path_.size() - 4) : path_;
    file_ = sc_core::sc_create_vcd_trace_file(base_.c_str());
    if (file_ == nullptr) {
      throw std::runtime_error("cannot create the VCD file " + path_);
    }
    file_->set_time_unit(1, sc_core::SC_NS);
  }
  ~VcdFile() {
    if (file_ == nullptr) {
      return;
    }
    const bool failed = std::uncaught_exceptions() > exceptions_at_start_;
    sc_core::sc_close_vcd_trace_file(file_);
    if (failed) {
      std::remove((base_ + ".vcd").c_str());
    } else if (base_ + ".vcd" != path_) {
      std::rename((base_ + ".vcd").c_str(), path_.c_str());
    }
  }
  VcdFile(const VcdFile&) = delete;
  VcdFile& operator=(const VcdFile&) = delete;
  sc_core::sc_trace_file* get() const { return file_; }

 private:
  std::string path_, base_;
  int exceptions_at_start_;
  sc_core::sc_trace_file* file_ = nullptr;
};

}  // namespace

std::vector<std::vector<GemmResult>> run_engine(const std::vector<EngineJob>& jobs,
                                                const EngineOptions& options) {
  static bool called = false;
  if (called) {
    throw std::logic_error(
        "run_engine: SystemC elaborates once per process; run_engine may be called only once");
  }
  std::set<std::string> names;
  for (size_t j = 0; j < jobs.size(); ++j) {
    validate_job(jobs[j], j);
    const std::string name = jobs[j].name.empty() ? "job" + std::to_string(j) : jobs[j].name;
    if (!names.insert(name).second) {
      throw std::invalid_argument("job " + std::to_string(j) + ": name '" + name +
                                  "' is taken by an earlier job");
    }
  }
  if (options.threads < 1) {
    throw std::invalid_argument("threads must be at least 1, got " +
                                std::to_string(options.threads));
  }
  called = true;

  // Before the first SystemC object: no banner on stdout, one cycle = one time unit.
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  sc_core::sc_report_handler::set_handler(report_handler);
  sc_core::sc_set_time_resolution(1, sc_core::SC_NS);
  tlm::tlm_global_quantum::instance().set(cycles_to_time(kQuantumCycles));

  std::vector<std::vector<GemmResult>> results(jobs.size());
  {
    VcdFile vcd(options.vcd_path);
    std::vector<std::unique_ptr<Accelerator>> accelerators;
    accelerators.reserve(jobs.size());
    for (size_t j = 0; j < jobs.size(); ++j) {
      const std::string name = jobs[j].name.empty() ? "job" + std::to_string(j) : jobs[j].name;
      accelerators.push_back(
          std::make_unique<Accelerator>(name.c_str(), jobs[j], j, options, vcd.get()));
    }
    {
      MainStackForAsan main_stack;  // ASan's bounds of this stack, lost in the kernel (D8)
      sc_core::sc_start();
    }
    for (size_t j = 0; j < jobs.size(); ++j) {
      const Controller& c = accelerators[j]->controller();
      if (c.error()) {
        rethrow(c.error(), jobs[j], c.current_gemm());
      }
      if (accelerators[j]->dma_error()) {
        rethrow(accelerators[j]->dma_error(), jobs[j], c.current_gemm());
      }
    }
    for (size_t j = 0; j < jobs.size(); ++j) {
      Controller& c = accelerators[j]->controller();
      if (!c.finished() || c.results().size() != jobs[j].workload->gemms.size()) {
        throw std::logic_error("job" + std::to_string(j) + ": the simulation ended before its " +
                               "controller finished");
      }
      results[j] = std::move(c.results());
    }
  }
  return results;
}

}  // namespace nibble::sc
