#pragma once
// Helpers shared by the file-format tests in tests/core/io.
#include <ATen/ATen.h>
#include <QDir>
#include <QString>
#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace iotest {

// A fresh, empty folder <test output>/<area>/<name>.
inline std::string freshDir(const std::string& area, const std::string& name) {
    const std::string dir = (std::filesystem::path(OL_TEST_OUTPUT_DIR) / area / name).string();
    std::filesystem::remove_all(dir);
    QDir().mkpath(QString::fromStdString(dir));
    return dir;
}

inline std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The names in a folder, sorted.
inline std::vector<std::string> filesIn(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Runs `f` and returns the message of the E it must throw; a different
// exception or none gives a marker that no expected fragment contains.
template <typename E, typename F> QString errorOf(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return QStringLiteral("<wrong exception type: %1>").arg(QString::fromStdString(e.what()));
    }
    return QStringLiteral("<no error thrown>");
}

// Same dtype, shape and bytes (bitwise, so NaN, -0 and subnormals count), both on the CPU.
inline bool sameTensor(const at::Tensor& a, const at::Tensor& b) {
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes() || !a.device().is_cpu() || !b.device().is_cpu())
        return false;
    const at::Tensor ca = a.contiguous(), cb = b.contiguous();
    return ca.nbytes() == cb.nbytes() && (ca.nbytes() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0);
}

} // namespace iotest
