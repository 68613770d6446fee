#include "model/report/pyfloat.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace nibble::report {

std::string python_float_repr(double x) {
  if (std::isnan(x)) {
    return "nan";
  }
  if (std::isinf(x)) {
    return x > 0 ? "inf" : "-inf";
  }
  if (x == 0) {
    return std::signbit(x) ? "-0.0" : "0.0";
  }
  // The shortest round-trip digits, from the scientific form "d.ddde+XX".
  char buf[64];
  const auto res =
      std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  const std::string sci(buf, res.ptr);
  const size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  if (digits.size() > 1) {
    digits.erase(1, 1);  // drop the decimal point
  }
  const int exp10 = std::atoi(sci.c_str() + e_pos + 1);
  const int n = static_cast<int>(digits.size());

  std::string out = x < 0 ? "-" : "";
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 < 0) {
      out += "0." + std::string(static_cast<size_t>(-exp10 - 1), '0') + digits;
    } else if (n <= exp10 + 1) {
      out += digits + std::string(static_cast<size_t>(exp10 + 1 - n), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(exp10 + 1)) + "." +
             digits.substr(static_cast<size_t>(exp10 + 1));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (n > 1) {
    out += "." + digits.substr(1);
  }
  const int mag = std::abs(exp10);
  out += std::string(exp10 < 0 ? "e-" : "e+") + (mag < 10 ? "0" : "") + std::to_string(mag);
  return out;
}

}  // namespace nibble::report
