#include "quantizeshared.h"
#include "taskflags.h"

#include "common.h"

#include "core/device.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/modelloader.h"
#include "core/resources.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace ol::cli {

void addCalibrationFlags(Flags& f) {
    f.add("calib_dataset", Flags::Kind::String,
          "calibration text file(s), comma-separated or repeated (default: the bundled stories-calib.txt)");
    f.add("nsamples", Flags::Kind::Int, "calibration windows (default 128; 32 for the bundled model)")
        .range(1, kMaxCalibrationWindows);
    f.add("seqlen", Flags::Kind::Int,
          "tokens per window, also the perplexity window (default min(2048, model limit); 256 for the bundled model)")
        .range(2, kMaxWindowTokens);
    f.add("seed", Flags::Kind::Int, "seed of the window starts (Python random as the reference) and of the rotations", "2")
        .range(0, INT64_MAX);
    f.add("consecutive", Flags::Kind::Switch, "consecutive windows from the start instead of random starts");
    addSpillFlags(f);
}

CalibrationSettings calibrationSettingsFromFlags(const Flags& f, bool bundled) {
    auto s = defaultCalibrationSettings(bundled);
    if (f.given("calib_dataset")) {
        s.textFiles.clear();
        for (const auto& v : f.all("calib_dataset")) {
            std::stringstream ss(v);
            for (std::string part; std::getline(ss, part, ',');)
                if (!part.empty()) s.textFiles.push_back(part);
        }
        if (s.textFiles.empty()) throw UsageError("--calib_dataset: no calibration text given");
    }
    if (f.given("nsamples")) s.nsamples = f.integer("nsamples");
    if (f.given("seqlen")) s.seqlen = f.integer("seqlen");
    s.seed = static_cast<std::uint64_t>(f.integer("seed"));
    s.consecutive = f.on("consecutive");
    return s;
}

CalibrationSource prepareSource(const Flags& f, const CalibrationSettings& s, c10::Device device, Progress* progress,
                                const SpillPolicy& spill) {
    return prepareCalibration(f.str("model"), f.str("tokenizer"), device, parseDtype(f.str("dtype")), s, f.str("session"),
                              progress, spill);
}

std::vector<c10::Device> devicesFor(c10::Device device, bool multigpu) {
    if (!multigpu) return {device};
    const int n = cudaDeviceCount();
    if (n < 1) throw UsageError("--multigpu needs CUDA devices; none is visible");
    std::vector<c10::Device> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out.emplace_back(c10::kCUDA, static_cast<c10::DeviceIndex>(i));
    return out;
}

void printQuantizeSummary(const nlohmann::json& j) {
    std::printf("%s %s on %s\n", j.at("method").get<std::string>().c_str(), j.at("label").get<std::string>().c_str(),
                j.at("model").get<std::string>().c_str());
    std::printf("parameters %s\n", j.at("parameters").dump().c_str());
    std::printf("\n%-6s %-8s %14s %14s\n", "layer", "input", "SQNR before", "SQNR after");
    for (const auto& l : j.at("layers")) {
        if (!l.contains("activations")) continue;
        for (const auto& [site, v] : l.at("activations").items()) {
            auto db = [](const nlohmann::json& e) {
                return e.at("sqnr_db").is_null() ? std::string("inf")
                                                 : std::to_string(e.at("sqnr_db").get<double>()).substr(0, 6) + " dB";
            };
            std::printf("%-6d %-8s %14s %14s\n", l.at("layer").get<int>(), site.c_str(), db(v.at("before")).c_str(),
                        db(v.at("after")).c_str());
        }
    }
    const auto& s = j.at("seconds");
    std::printf("\ntime: calibration %.1fs, transforms %.1fs, weights %.1fs, training %.1fs, quantize total %.1fs, eval %.1fs\n",
                s.at("calibration").get<double>(), s.at("transforms").get<double>(), s.at("weights").get<double>(),
                s.at("training").get<double>(), s.at("quantize_total").get<double>(), s.at("evaluation").get<double>());
    if (!j.at("quant_ppl").is_null())
        std::printf("perplexity FP %.6f  quantized %.6f  (%d-token windows)\n", j.at("fp_ppl").get<double>(),
                    j.at("quant_ppl").get<double>(), j.at("eval").at("seqlen").get<int>());
    if (j.contains("tasks")) printTaskTable(j.at("tasks").at("fp"), j.at("tasks").at("quantized"));
    if (j.contains("mmlu")) {
        const auto& fp = j.at("mmlu").at("fp");
        const auto& q = j.at("mmlu").at("quantized");
        std::printf("\nMMLU %lld-shot, %lld questions      FP   quantized\n", fp.at("shots").get<long long>(),
                    fp.at("questions").get<long long>());
        for (const auto& [name, c] : q.at("categories").items())
            std::printf("  %-32s %8.4f %10.4f\n", name.c_str(), fp.at("categories").at(name).at("accuracy").get<double>(),
                        c.at("accuracy").get<double>());
        std::printf("  %-32s %8.4f %10.4f\n  %-32s %8.4f %10.4f\n", "average (micro)", fp.at("micro_accuracy").get<double>(),
                    q.at("micro_accuracy").get<double>(), "average (macro)", fp.at("macro_accuracy").get<double>(),
                    q.at("macro_accuracy").get<double>());
    }
    if (!j.at("export").get<std::string>().empty()) std::printf("exported to %s\n", j.at("export").get<std::string>().c_str());
}

} // namespace ol::cli
