// The Python module `nibble` (docs/python.md): nibble's numerics on NumPy arrays. Every value
// is computed by model/numerics, element by element, through the same functions the simulator
// uses; nothing here is a second implementation of a rounding or a format.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/numerics/accumulate.h"
#include "model/numerics/format.h"
#include "model/numerics/fp16.h"
#include "model/numerics/fp4.h"
#include "model/numerics/fp8.h"
#include "model/numerics/grad_scale.h"
#include "model/numerics/int4.h"
#include "model/numerics/lanes.h"
#include "model/numerics/product.h"
#include "model/numerics/random.h"
#include "model/numerics/rounding.h"
#include "model/workload/gemm_spec.h"

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
  if (f.format == num::Format::kFp16) {
    py::array_t<uint16_t> out(shape_of(x));
    uint16_t* o = out.mutable_data();
    py::gil_scoped_release release;
    for (size_t i = 0; i < n; ++i) {
      o[i] = num::Fp16::from_double(in[i] / scales.at(i), mode, r).bits();
    }
    return std::move(out);
  }
  py::array_t<uint8_t> out(shape_of(x));
  uint8_t* o = out.mutable_data();
  py::gil_scoped_release release;
  switch (f.format) {
    case num::Format::kInt4:
      for (size_t i = 0; i < n; ++i) {
        o[i] = num::quantize_int4(in[i], scales.at(i), mode, r);
      }
      break;
    case num::Format::kUint4:
      for (size_t i = 0; i < n; ++i) {
        o[i] = num::quantize_uint4(in[i], scales.at(i), mode, r);
      }
      break;
    case num::Format::kFp4:
      for (size_t i = 0; i < n; ++i) {
        o[i] = num::quantize_fp4(in[i], f.fp4, scales.at(i), mode, r);
      }
      break;
    case num::Format::kFp8E4M3:
    case num::Format::kFp8E5M2: {
      const num::Fp8Kind kind =
          f.format == num::Format::kFp8E4M3 ? num::Fp8Kind::kE4M3 : num::Fp8Kind::kE5M2;
      for (size_t i = 0; i < n; ++i) {
        o[i] = num::fp8_quantize(kind, in[i], scales.at(i), mode, r);
      }
      break;
    }
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
}
