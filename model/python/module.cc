// The Python module `nibble` (docs/python.md): nibble's numerics on NumPy arrays. Every value
// is computed by model/numerics, element by element, through the same functions the simulator
// uses; nothing here is a second implementation of a rounding or a format.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/builtin/builtin.h"
#include "model/energy/baseline.h"
#include "model/energy/tables.h"
#include "model/frontend/config.h"
#include "model/frontend/input_error.h"
#include "model/frontend/trace.h"
#include "model/numerics/accumulate.h"
#include "model/numerics/format.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"
#include "model/numerics/fp8.h"
#include "model/numerics/grad_scale.h"
#include "model/numerics/int4.h"
#include "model/numerics/lanes.h"
#include "model/numerics/product.h"
#include "model/numerics/quantize_many.h"
#include "model/numerics/random.h"
#include "model/numerics/rounding.h"
#include "model/report/run_report.h"
#include "model/workload/gemm_spec.h"
#include "model/workload/training.h"

namespace py = pybind11;

namespace nibble::python {
namespace {

// A format as the module's functions take it: the trace's names ("int4", "uint4", "fp4",
// "fp4:p0", "fp4:p1", "fp8_e4m3", "fp8_e5m2", "fp16"), and for fp4 the exponent bias.
struct Fmt {
  num::Format format;
  num::Fp4Spec fp4;
  std::string name;
};

Fmt parse_fmt(const std::string& name, int bias) {
  const std::optional<workload::FormatSpec> spec = workload::parse_format_spec(name);
  if (!spec || spec->format == num::Format::kFp32) {
    throw std::invalid_argument("format '" + name +
                                "': expected int4, uint4, fp4, fp4:p0, fp4:p1, fp8_e4m3, "
                                "fp8_e5m2 or fp16");
  }
  Fmt f{spec->format, num::Fp4Spec{bias, spec->tpr_phase}, name};
  if (f.format == num::Format::kFp4) {
    num::validate(f.fp4);
  }
  return f;
}

num::Operand4 operand(const Fmt& f) {
  if (!num::is_4bit(f.format)) {
    throw std::invalid_argument("format '" + f.name + "': products take int4, uint4 or fp4");
  }
  return num::Operand4{f.format, f.fp4};
}

num::Rounding parse_rounding(const std::string& name) {
  if (name == "rne") {
    return num::Rounding::kNearestEven;
  }
  if (name == "stochastic") {
    return num::Rounding::kStochastic;
  }
  throw std::invalid_argument("rounding '" + name + "': expected rne or stochastic");
}

// The scale of each element: one for the whole tensor, or one per index along `axis`.
class Scales {
 public:
  Scales(const py::array& shape_of, const py::object& scale, std::optional<int> axis) {
    // A number (Python's or NumPy's, or a 0-d array) or a 1-D array of numbers.
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(scale);
    if (!a || a.ndim() > 1) {
      throw std::invalid_argument("scale must be a number or a 1-D array");
    }
    if (a.ndim() == 0) {
      if (axis) {
        throw std::invalid_argument("axis is given, so scale must be an array (one per channel)");
      }
      values_.push_back(*a.data());
    } else {
      if (!axis) {
        throw std::invalid_argument("scale is an array: give the axis it runs along");
      }
      const int nd = static_cast<int>(shape_of.ndim());
      int ax = *axis < 0 ? *axis + nd : *axis;
      if (ax < 0 || ax >= nd) {
        throw std::invalid_argument("axis " + std::to_string(*axis) + " outside a " +
                                    std::to_string(nd) + "-D array");
      }
      if (a.shape(0) != shape_of.shape(ax)) {
        throw std::invalid_argument("scale has " + std::to_string(a.shape(0)) + " values, axis " +
                                    std::to_string(*axis) + " has " +
                                    std::to_string(shape_of.shape(ax)) + " indices");
      }
      values_.assign(a.data(), a.data() + a.shape(0));
      inner_ = 1;
      for (int d = ax + 1; d < nd; ++d) {
        inner_ *= static_cast<size_t>(shape_of.shape(d));
      }
    }
    for (const double s : values_) {
      if (!(s > 0) || !std::isfinite(s)) {
        throw std::invalid_argument("scale " + std::to_string(s) + ": must be finite and > 0");
      }
    }
  }
  // The scale of the element at flat (C order) index i.
  double at(size_t i) const {
    return values_.size() == 1 ? values_[0] : values_[(i / inner_) % values_.size()];
  }
  // The same scales for the quantizers of many values.
  num::ScaleSpan span() const { return {values_.data(), values_.size(), inner_}; }

 private:
  std::vector<double> values_;
  size_t inner_ = 1;
};

std::vector<py::ssize_t> shape_of(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

py::array quantize(const py::array_t<double, py::array::c_style | py::array::forcecast>& x,
                   const std::string& format, const py::object& scale, std::optional<int> axis,
                   const std::string& rounding, std::optional<uint64_t> seed, int bias) {
  const Fmt f = parse_fmt(format, bias);
  const num::Rounding mode = parse_rounding(rounding);
  if (mode == num::Rounding::kStochastic && !seed) {
    throw std::invalid_argument("stochastic rounding needs a seed");
  }
  const Scales scales(x, scale, axis);
  num::Rng rng(seed.value_or(0));
  num::Rng* r = mode == num::Rounding::kStochastic ? &rng : nullptr;
  const auto n = static_cast<size_t>(x.size());
  const double* in = x.data();
  const num::ScaleSpan span = scales.span();
  if (f.format == num::Format::kFp16) {
    py::array_t<uint16_t> out(shape_of(x));
    uint16_t* o = out.mutable_data();
    py::gil_scoped_release release;
    num::fp16_from_doubles(in, n, span, mode, r, o);
    return std::move(out);
  }
  py::array_t<uint8_t> out(shape_of(x));
  uint8_t* o = out.mutable_data();
  py::gil_scoped_release release;
  switch (f.format) {
    case num::Format::kInt4:
      num::quantize_int4_many(in, n, span, mode, r, o);
      break;
    case num::Format::kUint4:
      num::quantize_uint4_many(in, n, span, mode, r, o);
      break;
    case num::Format::kFp4:
      num::quantize_fp4_many(in, n, f.fp4, span, mode, r, o);
      break;
    case num::Format::kFp8E4M3:
      num::fp8_quantize_many(num::Fp8Kind::kE4M3, in, n, span, mode, r, o);
      break;
    case num::Format::kFp8E5M2:
      num::fp8_quantize_many(num::Fp8Kind::kE5M2, in, n, span, mode, r, o);
      break;
    default:
      throw std::logic_error("quantize: unhandled format");
  }
  return std::move(out);
}

// Codes as the format stores them: uint8 for 4-bit and FP8 formats (a 4-bit code in the low
// nibble), uint16 for fp16. Another integer dtype is refused, not converted.
template <typename Code>
py::array_t<Code, py::array::c_style> codes_of(const py::array& codes, const Fmt& f) {
  if (!py::array_t<Code>::check_(codes)) {  // the dtype, by NumPy's equivalence
    throw std::invalid_argument("codes of " + f.name + " are a " +
                                std::string(sizeof(Code) == 1 ? "uint8" : "uint16") +
                                " array, not " + py::str(codes.dtype()).cast<std::string>());
  }
  return py::array_t<Code, py::array::c_style>::ensure(codes);  // C order (a copy if need be)
}

void check_4bit(const uint8_t* c, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (c[i] > 0xF) {
      throw std::invalid_argument("element " + std::to_string(i) + ": " + std::to_string(c[i]) +
                                  " is not a 4-bit code (0 to 15)");
    }
  }
}

py::array_t<double> dequantize(const py::array& codes, const std::string& format,
                               const py::object& scale, std::optional<int> axis, int bias) {
  const Fmt f = parse_fmt(format, bias);
  const Scales scales(codes, scale, axis);
  py::array_t<double> out(shape_of(codes));
  double* o = out.mutable_data();
  const auto n = static_cast<size_t>(codes.size());
  if (f.format == num::Format::kFp16) {
    const auto c = codes_of<uint16_t>(codes, f);
    const uint16_t* in = c.data();
    for (size_t i = 0; i < n; ++i) {
      o[i] = num::Fp16::from_bits(in[i]).to_double() * scales.at(i);
    }
    return out;
  }
  const auto c = codes_of<uint8_t>(codes, f);
  const uint8_t* in = c.data();
  if (num::is_4bit(f.format)) {
    check_4bit(in, n);
  }
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    switch (f.format) {
      case num::Format::kInt4:
        v = num::int4_value(in[i]);
        break;
      case num::Format::kUint4:
        v = num::uint4_value(in[i]);
        break;
      case num::Format::kFp4:
        v = num::fp4_value(in[i], f.fp4);
        break;
      case num::Format::kFp8E4M3:
        v = num::fp8_decode(num::Fp8Kind::kE4M3, in[i]);
        break;
      case num::Format::kFp8E5M2:
        v = num::fp8_decode(num::Fp8Kind::kE5M2, in[i]);
        break;
      default:
        throw std::logic_error("dequantize: unhandled format");
    }
    o[i] = v * scales.at(i);
  }
  return out;
}

// binary16 bits of each product a[i] x b[i] (num::product_fp16).
py::array_t<uint16_t> product_fp16(const py::array& a, const std::string& fa, const py::array& b,
                                   const std::string& fb, int bias) {
  const Fmt f_a = parse_fmt(fa, bias), f_b = parse_fmt(fb, bias);
  const num::Operand4 oa = operand(f_a), ob = operand(f_b);
  num::validate_pair(oa, ob);
  const auto ca = codes_of<uint8_t>(a, f_a);
  const auto cb = codes_of<uint8_t>(b, f_b);
  if (shape_of(a) != shape_of(b)) {
    throw std::invalid_argument("a and b differ in shape");
  }
  const auto n = static_cast<size_t>(a.size());
  check_4bit(ca.data(), n);
  check_4bit(cb.data(), n);
  py::array_t<uint16_t> out(shape_of(a));
  uint16_t* o = out.mutable_data();
  for (size_t i = 0; i < n; ++i) {
    o[i] = num::product_fp16(oa, ca.data()[i], ob, cb.data()[i]).bits();
  }
  return out;
}

// C = A x B as the PE array computes it: each C[m][n] is num::dot4_fp16 over k, in chunks of
// `lanes` consecutive k from k = 0, from +0 (docs/numerics.md). binary16 bits, M x N.
py::array_t<uint16_t> gemm(const py::array& a, const std::string& fa, const py::array& b,
                           const std::string& fb, int lanes, int bias) {
  const Fmt f_a = parse_fmt(fa, bias), f_b = parse_fmt(fb, bias);
  const num::Operand4 oa = operand(f_a), ob = operand(f_b);
  num::validate_pair(oa, ob);
  num::validate_lanes(lanes);
  const auto ca = codes_of<uint8_t>(a, f_a);
  const auto cb = codes_of<uint8_t>(b, f_b);
  if (a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != b.shape(0)) {
    throw std::invalid_argument("gemm takes A (M x K) and B (K x N)");
  }
  const auto m = static_cast<size_t>(a.shape(0));
  const auto k = static_cast<size_t>(a.shape(1));
  const auto n = static_cast<size_t>(b.shape(1));
  check_4bit(ca.data(), m * k);
  check_4bit(cb.data(), k * n);
  py::array_t<uint16_t> out({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(n)});
  uint16_t* o = out.mutable_data();
  const uint8_t* pa = ca.data();
  const uint8_t* pb = cb.data();
  py::gil_scoped_release release;
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      o[i * n + j] = num::dot4_fp16(oa, pa + i * k, 1, ob, pb + j, n, k, lanes).bits();
    }
  }
  return out;
}

// ---- Workloads: the training lowering, traces, runs ---------------------------------------

template <class T>
T get_or(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) ? d[key].cast<T>() : fallback;
}

// A dict's key, which must be there.
template <class T>
T get(const py::dict& d, const char* key, const std::string& what) {
  if (!d.contains(key)) {
    throw std::invalid_argument(what + ": no '" + key + "'");
  }
  return d[key].cast<T>();
}

// Every key of d must be one of `keys`, so that a misspelt key is an error, not a default.
void check_keys(const py::dict& d, const std::vector<std::string>& keys, const std::string& what) {
  for (const auto& item : d) {
    const std::string key = item.first.cast<std::string>();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw std::invalid_argument(what + ": unknown key '" + key + "'");
    }
  }
}

// lower(layers, recipe, train): the training lowering (model/workload/training.h) of layer dicts.
py::list lower(const py::list& layers, const std::string& recipe_name, bool train) {
  const std::optional<workload::Recipe> recipe = workload::parse_recipe(recipe_name);
  if (!recipe) {
    throw std::invalid_argument("recipe '" + recipe_name + "': expected all4, sun2020 or fp16");
  }
  std::vector<workload::Layer> ls;
  for (const py::handle& h : layers) {
    const py::dict d = h.cast<py::dict>();
    const std::string what = "layer " + std::to_string(ls.size());
    check_keys(
        d, {"name", "m", "n", "k", "repeat", "a_unsigned", "b_weight", "b_unsigned", "pointwise"},
        what);
    workload::Layer& l = ls.emplace_back();
    l.name = get<std::string>(d, "name", what);
    l.m = get<int64_t>(d, "m", what);
    l.n = get<int64_t>(d, "n", what);
    l.k = get<int64_t>(d, "k", what);
    l.repeat = get_or<int64_t>(d, "repeat", 1);
    l.a_unsigned = get_or<bool>(d, "a_unsigned", false);
    l.b_weight = get_or<bool>(d, "b_weight", true);
    l.b_unsigned = get_or<bool>(d, "b_unsigned", false);
    l.pointwise = get_or<bool>(d, "pointwise", false);
  }
  py::list out;
  for (const workload::GemmSpec& g : workload::lower_layers(ls, *recipe, train)) {
    py::dict d;
    d["name"] = g.name;
    d["m"] = g.m;
    d["n"] = g.n;
    d["k"] = g.k;
    d["a"] = workload::format_spec_name(g.a);
    d["b"] = workload::format_spec_name(g.b);
    d["out"] = workload::format_spec_name(g.out);
    d["pass"] = workload::pass_name(g.pass);
    d["repeat"] = g.repeat;
    out.append(d);
  }
  return out;
}

workload::FormatSpec format_of(const py::dict& d, const char* key, const std::string& fallback,
                               const std::string& what) {
  const std::string text = get_or<std::string>(d, key, fallback);
  const std::optional<workload::FormatSpec> f = workload::parse_format_spec(text);
  if (!f) {
    throw std::invalid_argument(what + ": " + key + "='" + text + "' is not a format");
  }
  return *f;
}

// The workload of GEMM dicts (the keys of a trace's gemm line), checked as a trace is: it is
// written as one and read back.
workload::Workload workload_of(const py::list& gemms, const std::string& name) {
  workload::Workload w;
  w.name = name;
  for (const py::handle& h : gemms) {
    const py::dict d = h.cast<py::dict>();
    const std::string what = "gemm " + std::to_string(w.gemms.size());
    check_keys(d, {"name", "m", "n", "k", "a", "b", "out", "pass", "repeat"}, what);
    workload::GemmSpec& g = w.gemms.emplace_back();
    g.name = get<std::string>(d, "name", what);
    g.m = get<int64_t>(d, "m", what);
    g.n = get<int64_t>(d, "n", what);
    g.k = get<int64_t>(d, "k", what);
    g.a = format_of(d, "a", "int4", what);
    g.b = format_of(d, "b", "int4", what);
    g.out = format_of(d, "out", "fp16", what);
    const std::string pass = get_or<std::string>(d, "pass", "-");
    const std::optional<workload::Pass> p = workload::parse_pass(pass);
    if (!p) {
      throw std::invalid_argument(what + ": pass='" + pass + "' is not -, fwd, dgrad or wgrad");
    }
    g.pass = *p;
    g.repeat = get_or<int64_t>(d, "repeat", 1);
  }
  std::istringstream in(frontend::write_trace(w));
  return frontend::parse_trace(in, "<gemms>");
}

std::string trace_text(const py::list& gemms, const std::string& name) {
  return frontend::write_trace(workload_of(gemms, name));
}

// run(...): what `nibble run` (analytic engine) writes to report.json, as a dict.
py::object run(const std::optional<std::string>& trace, const std::optional<py::list>& gemms,
               const std::string& name, const std::optional<std::string>& config,
               const std::vector<std::string>& overrides, const std::optional<std::string>& energy,
               const std::optional<std::string>& area) {
  if (trace && gemms) {
    throw std::invalid_argument("trace and gemms exclude each other (one workload per run)");
  }
  report::RunResult result;
  const timing::ArchSpec arch = frontend::resolve_config(config.value_or(""), overrides);
  if (trace) {
    result.trace_path = *trace;
    result.workload = frontend::read_trace_file(*trace);
  } else if (gemms) {
    result.trace_path = "<gemms>";
    result.workload = workload_of(*gemms, name);
  } else {
    const builtin::File& f = builtin::default_trace();
    std::istringstream in(f.content);
    result.trace_path = f.path;
    result.workload = frontend::parse_trace(in, std::string("<built-in> ") + f.path);
  }
  const energy::Tables tables = energy::load_tables(energy.value_or(""), area.value_or(""));
  result.energy_table_path = tables.energy_path;
  result.area_table_path = tables.area_path;
  std::string json;
  {
    py::gil_scoped_release release;
    result.comparison =
        energy::compare_with_baselines(result.workload, arch, tables.energy, tables.area);
    json = report::run_report_json(result);
  }
  return py::module_::import("json").attr("loads")(json);
}

}  // namespace
}  // namespace nibble::python

PYBIND11_MODULE(nibble, m) {
  using namespace nibble::python;
  namespace num = nibble::num;
  m.doc() = "nibble's bit-exact 4-bit training numerics on NumPy arrays (docs/python.md)";
  m.attr("formats") = std::vector<std::string>{"int4",   "uint4",    "fp4",      "fp4:p0",
                                               "fp4:p1", "fp8_e4m3", "fp8_e5m2", "fp16"};
  m.attr("fp4_default_bias") = num::kFp4DefaultBias;
  m.def("quantize", &quantize, py::arg("x"), py::arg("format"), py::arg("scale") = 1.0,
        py::arg("axis") = py::none(), py::arg("rounding") = "rne", py::arg("seed") = py::none(),
        py::arg("bias") = num::kFp4DefaultBias,
        "Codes of x / scale in a format: uint8 (4-bit codes in the low nibble, FP8 codes), "
        "uint16 for fp16 (binary16 bits).");
  m.def("dequantize", &dequantize, py::arg("codes"), py::arg("format"), py::arg("scale") = 1.0,
        py::arg("axis") = py::none(), py::arg("bias") = num::kFp4DefaultBias,
        "Exact values of codes, times scale, as float64.");
  m.def("product_fp16", &product_fp16, py::arg("a"), py::arg("format_a"), py::arg("b"),
        py::arg("format_b"), py::arg("bias") = num::kFp4DefaultBias,
        "binary16 bits of each 4-bit product a[i] x b[i].");
  m.def("gemm", &gemm, py::arg("a"), py::arg("format_a"), py::arg("b"), py::arg("format_b"),
        py::arg("lanes") = 1, py::arg("bias") = num::kFp4DefaultBias,
        "binary16 bits of C = A x B, accumulated as the PE array does (chunks of `lanes` k).");
  m.def(
      "grad_scale_update",
      [](int exp, double max_abs_grad, int bias, int min_exp, int max_exp) {
        return num::grad_scale_update(exp, max_abs_grad,
                                      num::GradScaleParams{bias, min_exp, max_exp});
      },
      py::arg("exp"), py::arg("max_abs_grad"), py::arg("bias") = num::kFp4DefaultBias,
      py::arg("min_exp") = -14, py::arg("max_exp") = 15,
      "GradScale: the next scale exponent from the current one and the largest |gradient|.");
  m.def(
      "grad_scale_factor",
      [](int exp) {
        try {
          return num::grad_scale_factor(exp).bits();
        } catch (const std::out_of_range& e) {
          throw py::value_error(e.what());  // a bad argument, as every other error here
        }
      },
      py::arg("exp"), "GradScale: binary16 bits of the factor 2^exp.");
  m.def("lower", &lower, py::arg("layers"), py::arg("recipe") = "all4", py::arg("train") = true,
        "GEMM dicts of layer dicts: the training lowering of docs/trace-format.md.");
  m.def("trace_text", &trace_text, py::arg("gemms"), py::arg("workload") = "",
        "The .trace text of GEMM dicts, as nibble writes a trace.");
  m.def("run", &run, py::kw_only(), py::arg("trace") = py::none(), py::arg("gemms") = py::none(),
        py::arg("workload") = "", py::arg("config") = py::none(),
        py::arg("set") = std::vector<std::string>{}, py::arg("energy") = py::none(),
        py::arg("area") = py::none(),
        "Times a workload as `nibble run` does (analytic engine) and returns report.json as a "
        "dict.");
  // Bad input is a ValueError whose message names the file and line, as the CLI's error line.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) {
        std::rethrow_exception(p);
      }
    } catch (const nibble::frontend::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::overflow_error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
}
