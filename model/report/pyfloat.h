// Python's repr() of a float, which SCALE-Sim's reports print: the shortest decimal string that
// reads back to the same double; fixed notation for decimal exponents -4 <= e < 16 (with ".0"
// on integral values), otherwise d.ddde+XX with at least two exponent digits; "inf", "nan".
#ifndef NIBBLE_MODEL_REPORT_PYFLOAT_H_
#define NIBBLE_MODEL_REPORT_PYFLOAT_H_

#include <string>

namespace nibble::report {

std::string python_float_repr(double x);

}  // namespace nibble::report

#endif  // NIBBLE_MODEL_REPORT_PYFLOAT_H_
