#include "core/model/hfwriter.h"

#include "core/errors.h"
#include "core/io/atomicfile.h"
#include "core/io/safetensors.h"
#include "core/model/checkpoint.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace ol {

namespace fs = std::filesystem;

at::Tensor interleavedToRotateHalf(const at::Tensor& w, std::int64_t heads, std::int64_t headDim) {
    // Row h*hd + 2i + e moves to h*hd + e*hd/2 + i.
    return w.reshape({heads, headDim / 2, 2, w.size(1)}).transpose(1, 2).reshape(w.sizes()).contiguous();
}

namespace {

void writeTextFile(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw RuntimeFailure(p.string() + ": cannot write");
}

} // namespace

void writeHfDirectory(const Checkpoint& ck, const std::string& outDir, Progress* progress) {
    const fs::path out(outDir);
    std::error_code ec;
    if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
        throw UsageError(outDir + ": already exists and is not an empty directory");
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    const fs::path tmp = parent / (out.filename().string() + ".tmp-" + std::to_string(::getpid()));
    fs::remove_all(tmp, ec);
    if (!fs::create_directories(tmp, ec) && ec) throw RuntimeFailure(tmp.string() + ": cannot create directory: " + ec.message());
    DirectoryGuard guard{tmp.string()};

    ModelConfig config = ck.config();
    const bool permute = config.rotaryInterleaved;
    config.rotaryInterleaved = false;
    writeTextFile(tmp / "config.json", config.toHfJson() + "\n");

    SafetensorsWriter writer((tmp / "model.safetensors").string(),
                             {{"format", "pt"}, {"source", ck.path()}, {"producer", "outlierlab convert"}});
    const auto metas = expectedTensors(ck.config());
    for (const auto& m : metas) writer.declare(m.name, DType::F32, m.shape);
    std::size_t done = 0;
    for (const auto& m : metas) {
        if (progress) {
            progress->checkCancelled();
            progress->report(static_cast<double>(done) / metas.size(), "writing " + m.name);
        }
        at::Tensor t = ck.tensor(m.name).to(at::kFloat);
        if (permute && m.name.find("self_attn.q_proj") != std::string::npos)
            t = interleavedToRotateHalf(t, config.numHeads, config.headDim);
        else if (permute && m.name.find("self_attn.k_proj") != std::string::npos)
            t = interleavedToRotateHalf(t, config.numKvHeads, config.headDim);
        writer.write(m.name, t);
        ++done;
    }
    writer.commit();

    if (const std::string tok = ck.tokenizerPath(); !tok.empty()) {
        const std::string ext = fs::path(tok).extension().string();
        const std::string name = ext == ".json" ? "tokenizer.json" : ext == ".model" ? "tokenizer.model" : "tokenizer.bin";
        fs::copy_file(tok, tmp / name, ec);
        if (ec) throw RuntimeFailure(tok + ": cannot copy the tokenizer into " + outDir + ": " + ec.message());
    }
    if (fs::exists(out, ec)) fs::remove(out, ec); // the empty directory checked above
    fs::rename(tmp, out, ec);
    if (ec) throw RuntimeFailure(outDir + ": cannot move the finished directory into place: " + ec.message());
    guard.keep = true;
    if (progress) progress->report(1.0, "wrote " + outDir);
}

} // namespace ol
