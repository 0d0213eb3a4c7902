#pragma once
// Helpers shared by the HDF5 wrapper's tests (tst_h5file, tst_h5errors, tst_h5interop).
#include "iotestutil.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QString>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace h5test {

using namespace iotest;

// A fresh, empty folder under the test output directory.
inline std::string outDir(const std::string& name) { return freshDir("h5file", name); }

inline QString describe(const at::Tensor& t) {
    std::ostringstream s;
    s << t.scalar_type() << " " << t.sizes();
    return QString::fromStdString(s.str());
}

// Every dtype the wrapper stores, with awkward values.
inline std::vector<std::pair<std::string, at::Tensor>> sampleTensors() {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<std::pair<std::string, at::Tensor>> v;
    v.emplace_back("float32", at::tensor({1.5, -2.25, inf, nan, -0.0, 1e-40, 3.4e38, 0.1}, at::kFloat).reshape({2, 4}));
    v.emplace_back("float64", at::tensor({0.1, -1e-300, 1.7e308, -inf, nan, 4.9e-324}, at::kDouble).reshape({3, 2}));
    v.emplace_back("float16", at::tensor({0.5, -65504.0, 6.1035e-5, 5.96e-8, inf, nan, 0.1}, at::kFloat).to(at::kHalf));
    v.emplace_back("bfloat16", at::tensor({1.0, -3.0e38, 1e-38, 0.0078125, nan, 3.14159}, at::kFloat).to(at::kBFloat16));
    v.emplace_back("int64", at::tensor(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                                                 std::numeric_limits<std::int64_t>::max()},
                                       at::kLong)
                                .reshape({2, 1, 2}));
    v.emplace_back("int32", at::tensor(std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::min(), 7,
                                                                 std::numeric_limits<std::int32_t>::max()},
                                       at::kInt));
    v.emplace_back("int16", at::tensor(std::vector<std::int64_t>{-32768, 5, 32767}, at::kLong).to(at::kShort));
    v.emplace_back("int8", at::tensor(std::vector<std::int64_t>{-128, 0, 127, -3}, at::kLong).to(at::kChar));
    v.emplace_back("uint8", at::tensor(std::vector<std::int64_t>{0, 255, 128, 7}, at::kLong).to(at::kByte));
    v.emplace_back("bool", at::tensor(std::vector<std::int64_t>{1, 0, 1, 1, 0, 0}, at::kLong).to(at::kBool).reshape({2, 3}));
    return v;
}

} // namespace h5test
