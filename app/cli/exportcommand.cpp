// outlierlab-cli export: writes a finished quantization run (its --save_dir,
// or the run kept next to a session file) as a Hugging Face-style directory.
#include "commands.h"
#include "common.h"

#include "core/calib/session.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/modelloader.h"
#include "core/progress.h"
#include "core/quant/quantexport.h"
#include "core/quant/runstore.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace ol::cli {

namespace {

// The runs next to a session that were made from it (same model and calibration windows).
std::vector<std::string> runsOfSession(const SessionReader& session, const std::string& runs) {
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(runs)) {
        if (!fs::exists(e.path() / "run.json")) continue;
        const auto m = RunStore::open(e.path().string()).manifest();
        if (m.value("model_fingerprint", "") == session.info().model.fingerprint &&
            m.value("calibration_fingerprint", "") == session.info().calibrationFingerprint)
            found.push_back(e.path().filename().string());
    }
    std::sort(found.begin(), found.end());
    return found;
}

// A run directory, or the single finished run next to a session file (read and checked first: an
// empty or corrupt file is no session, whatever sits beside it).
std::string findRun(const std::string& arg, const std::string& pick) {
    if (fs::is_directory(arg)) {
        if (fs::exists(fs::path(arg) / "run.json")) return arg;
        throw UsageError(arg + ": not a quantization run (no run.json) and not a session file");
    }
    const SessionReader session(arg);
    const auto runs = RunStore::sessionRunsDir(arg);
    if (!fs::is_directory(runs))
        throw UsageError(arg + ": the session has no runs (no " + runs + "); quantize with --session " + arg + " first");
    const auto found = runsOfSession(session, runs);
    if (!pick.empty()) {
        if (std::find(found.begin(), found.end(), pick) == found.end())
            throw UsageError("--run " + pick + ": no run of session " + arg + " in " + runs);
        return (fs::path(runs) / pick).string();
    }
    if (found.size() == 1) return (fs::path(runs) / found[0]).string();
    if (found.empty()) throw UsageError(arg + ": none of the runs in " + runs + " was made from this session");
    std::string list;
    for (const auto& r : found) {
        const auto m = RunStore::open((fs::path(runs) / r).string()).manifest();
        list += "\n  " + r + "  " + m.value("method", "?") + " " + m.value("settings", nlohmann::json()).dump();
    }
    throw UsageError(arg + " has " + std::to_string(found.size()) + " runs; choose one with --run:" + list);
}

bool inside(const fs::path& file, const fs::path& dir) {
    auto d = fs::absolute(dir).lexically_normal();
    if (d.filename().empty()) d = d.parent_path(); // "dir/"
    const auto rel = fs::absolute(file).lexically_normal().lexically_relative(d);
    return !rel.empty() && rel != "." && *rel.begin() != "..";
}

// The tokenizer run.json names is copied into the export, so only one that belongs to the run is
// taken: inside the run directory or the directory of the model it names (checked on the path as
// written, so a Hugging Face cache whose files link elsewhere still works). Others need --tokenizer.
std::string recordedTokenizer(const nlohmann::json& m, const std::string& runDir, const std::string& model) {
    const auto tok = m.value("tokenizer_path", nlohmann::json(""));
    if (!tok.is_string()) throw FormatError(runDir + "/run.json: 'tokenizer_path' is not a string");
    std::string path = tok.get<std::string>();
    if (path.empty()) return path;
    const fs::path modelDir = fs::is_directory(model) ? fs::path(model) : fs::path(model).parent_path();
    if (!inside(path, runDir) && !inside(path, modelDir.empty() ? fs::path(".") : modelDir))
        throw UsageError(runDir + "/run.json: tokenizer_path " + path + " is outside the run directory and the model directory " +
                         modelDir.string() + "; pass --tokenizer to export with it");
    return path;
}

} // namespace

int runExport(const Args& args) {
    Flags f("export", "Writes a finished quantization run as a Hugging Face-style directory (config.json with a\n"
                      "quantization_config, packed integer weights, scales, zero points and transforms in safetensors,\n"
                      "the tokenizer). The argument is the run's --save_dir, or the session file it was made with.");
    f.allowPositional("RUN_DIR | SESSION.h5");
    f.add("out", Flags::Kind::String, "output directory (must not exist or be empty)");
    f.add("run", Flags::Kind::String, "which run of the session (its directory name) when it has several");
    f.add("model", Flags::Kind::String, "the model the run was made from (default: the path recorded in run.json)");
    f.add("tokenizer", Flags::Kind::String, "tokenizer file (default: the one recorded in run.json)");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (f.positional().size() != 1) throw UsageError("give one run directory or session file");
    if (!f.given("out")) throw UsageError("--out DIR is required");

    const auto store = RunStore::open(findRun(f.positional()[0], f.str("run")));
    const auto& m = store.manifest();
    const int L = m.at("num_layers").get<int>();
    if (store.completedLayers() < L)
        throw UsageError(store.dir() + ": the run finished " + std::to_string(store.completedLayers()) + " of " +
                         std::to_string(L) + " layers; continue it with quantize --resume --save_dir " + store.dir());
    const auto model = f.given("model") ? f.str("model") : m.value("model_path", "");
    if (model.empty()) throw FormatError(store.dir() + "/run.json: no model_path; pass --model");
    const auto bundle = openModel(model, f.given("tokenizer") ? f.str("tokenizer") : recordedTokenizer(m, store.dir(), model));
    const auto& ck = bundle.checkpoint;
    if (ck->fingerprint() != m.at("model_fingerprint").get<std::string>())
        throw UsageError(model + " is not the model this run was made from (fingerprint differs); pass --model");
    if (ck->config().numLayers != L)
        throw FormatError(store.dir() + "/run.json: num_layers is " + std::to_string(L) + " but the model has " +
                          std::to_string(ck->config().numLayers));
    StderrProgress progress("export ", !f.on("quiet"));
    ExportInfo info;
    info.manifest = m;
    info.flag = "--out";
    for (int i = 0; i < L; ++i) info.reports.push_back(store.loadReport(i).toJson());
    // Layers stream from the run store into the export, one at a time.
    const auto& config = ck->config();
    writeQuantizedExport(
        f.str("out"), *ck, [&](int i) { return store.loadLayer(i, config, c10::Device(c10::kCPU)); }, info, &progress);
    progress.finish("wrote " + f.str("out"));
    return kExitOk;
}

} // namespace ol::cli
