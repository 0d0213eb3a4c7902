#include "core/workflow/memoryestimate.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/modelconfig.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace ol {

namespace {

constexpr std::int64_t kMiB = 1ll << 20;
// The process before any model: LibTorch, OpenBLAS, Qt Core, HDF5, plugins (measured: `methods` 170 MB,
// `eval --nsamples 1` on the bundled model 199 MB).
constexpr std::int64_t kRuntime = 180 * kMiB;
// LlamaModel's classifier slice holds at most this many logits (kLogitChunkElements).
constexpr std::int64_t kLogitSlice = 16ll << 20;

// Activations of one decoder-layer forward over `tokens` tokens (B windows of T): the hidden state and
// its normed copy, q/k/v and the attention output, and the MLP's gate, up and their product. The
// attention scores exist one cache-sized block at a time (model/attention.cpp): scores and softmax.
std::int64_t forwardActivations(const ModelConfig& c, std::int64_t batch, std::int64_t T, int bytes) {
    const std::int64_t tokens = batch * T;
    const std::int64_t qkv = (c.numHeads + 2 * c.numKvHeads) * c.headDim;
    const std::int64_t perToken = 4 * c.hiddenSize + qkv + c.numHeads * c.headDim + 3 * c.intermediateSize;
    const std::int64_t scores = 2 * (std::int64_t(1) << 18) * 4;
    return tokens * perToken * bytes + scores;
}

// The classifier over `tokens` positions: one vocabulary slice of rows in the compute dtype and its
// logits (logits, shifted exponentials, the narrowed copy); all of the vocabulary when one slice holds it.
std::int64_t classifier(const ModelConfig& c, std::int64_t tokens, int bytes) {
    const std::int64_t slice =
        std::min(c.vocabSize, std::max<std::int64_t>(256, kLogitSlice / std::max<std::int64_t>(1, tokens)));
    return slice * c.hiddenSize * bytes + 2 * tokens * slice * 4;
}

} // namespace

std::int64_t MemoryEstimate::peakBytes() const {
    std::int64_t n = 0;
    for (const auto& t : terms) n += t.bytes;
    return n;
}

std::string formatBytes(std::int64_t bytes) {
    char buf[32];
    const double b = static_cast<double>(bytes);
    // Binary units, as --max_memory reads them (8G = 8 GiB).
    if (b >= 1024.0 * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.0f MiB", b / (1024.0 * 1024));
    return buf;
}

std::string MemoryEstimate::describe() const {
    std::string s = formatBytes(peakBytes()) + " at " + stage + " (";
    bool first = true;
    for (const auto& t : terms) {
        if (t.bytes < (1 << 20)) continue;
        s += (first ? "" : ", ") + t.what + " " + formatBytes(t.bytes);
        first = false;
    }
    return s + ")";
}

ModelFootprint ModelFootprint::of(const ModelConfig& c, int storedBytes) {
    ModelFootprint f;
    const std::int64_t H = c.hiddenSize, I = c.intermediateSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
    f.layerParams = H * (q + 2 * kv) + q * H + 3 * H * I + 2 * H;
    f.largestTensor = std::max(H * I, q * H);
    const std::int64_t embeddings = c.vocabSize * H * (c.tieWordEmbeddings ? 1 : 2);
    f.totalParams = f.layerParams * c.numLayers + embeddings + H;
    f.storedBytes = storedBytes;
    return f;
}

ModelFootprint ModelFootprint::of(const Checkpoint& ck) {
    int stored = 4;
    const auto name = names::linear(0, "self_attn.q_proj");
    for (const auto& t : ck.tensors())
        if (t.name == name) stored = (t.dtype == "F16" || t.dtype == "BF16") ? 2 : 4;
    return of(ck.config(), stored);
}

MemoryEstimate estimateEval(const ModelConfig& c, const ModelFootprint& m, const EvalJob& j) {
    // The decoder layers and the classifier run one after the other: the peak is the larger of the two.
    MemoryEstimate layers;
    layers.stage = "the evaluation forward";
    layers.terms.push_back({"runtime", kRuntime});
    if (j.resident) {
        layers.terms.push_back({"resident weights", m.totalParams * j.computeBytes});
    } else {
        layers.terms.push_back({"one decoder layer", m.layerParams * j.computeBytes});
        layers.terms.push_back({"mapped pages of one tensor", m.largestTensor * m.storedBytes});
    }
    layers.terms.push_back({"activations of " + std::to_string(j.batch) + " x " + std::to_string(j.seqlen) + " tokens",
                            forwardActivations(c, j.batch, j.seqlen, j.computeBytes)});
    MemoryEstimate head;
    head.stage = "the classifier";
    head.terms.push_back({"runtime", kRuntime});
    if (j.resident) head.terms.push_back({"resident weights", m.totalParams * j.computeBytes});
    head.terms.push_back({"hidden states", j.batch * j.seqlen * c.hiddenSize * j.computeBytes});
    head.terms.push_back({"classifier slice and its logits", classifier(c, j.batch * j.seqlen, j.computeBytes)});
    return head.peakBytes() > layers.peakBytes() ? head : layers;
}

// One set of every window's activations [n, T, H] in float32, or, spilled, the batch being computed.
static std::int64_t activationSet(const ModelConfig& c, std::int64_t n, std::int64_t T, std::int64_t batch,
                                  std::int64_t spillAbove) {
    const std::int64_t full = n * T * c.hiddenSize * 4;
    return spillAbove >= 0 && full > spillAbove ? std::min(n, batch) * T * c.hiddenSize * 4 : full;
}

MemoryEstimate estimateCalibration(const ModelConfig& c, const ModelFootprint& m, std::int64_t n, std::int64_t T,
                                   std::int64_t batch, std::int64_t spillAbove) {
    MemoryEstimate e;
    e.stage = "calibration";
    e.terms.push_back({"runtime", kRuntime});
    e.terms.push_back({"one decoder layer", m.layerParams * 4});
    e.terms.push_back({"mapped pages of one tensor", m.largestTensor * m.storedBytes});
    // Every window's hidden state, in and out of the current layer.
    e.terms.push_back({"calibration activations " + std::to_string(n) + " x " + std::to_string(T),
                       2 * activationSet(c, n, T, batch, spillAbove)});
    e.terms.push_back({"forward activations", forwardActivations(c, std::min(batch, n), T, 4)});
    return e;
}

MemoryEstimate estimateQuantize(const ModelConfig& c, const ModelFootprint& m, const QuantizeJob& j) {
    // The layer stage: the FP layer, the quantized layer's weights, the transformed weights the
    // quantizer keeps, and the transient float copies of the largest weight while it is quantized and
    // its error measured; the embedded windows (layer-0 input) or the carried samples.
    MemoryEstimate layer;
    layer.stage = "the layer-by-layer quantization";
    layer.terms.push_back({"runtime", kRuntime});
    // The FP layer and the quantizer's copy (briefly both), or the copy, its smoothed/transformed
    // weights and the quantized ones being written over them.
    layer.terms.push_back({j.transforms ? "quantized and transformed layer" : "FP layer and its quantized copy",
                           (j.transforms ? 3 : 2) * m.layerParams * 4});
    layer.terms.push_back({"quantizing one weight", 4 * m.largestTensor * 4});
    const std::int64_t windows = activationSet(c, j.nsamples, j.seqlen, 4, j.spillAbove);
    layer.terms.push_back({"calibration windows", windows});
    if (j.sampleInputs) layer.terms.push_back({"layer inputs of every window", windows});
    if (j.training) layer.terms.push_back({"FP inputs and targets of every window", 2 * windows});
    layer.terms.push_back(
        {"calibration forward", forwardActivations(c, j.sampleInputs ? std::min<std::int64_t>(4, j.nsamples) : 1, j.seqlen, 4)});

    MemoryEstimate peak = layer;
    if (j.calibrate) {
        const auto cal = estimateCalibration(c, m, j.nsamples, j.seqlen, j.calibrationBatch, j.spillAbove);
        if (cal.peakBytes() > peak.peakBytes()) peak = cal;
    }
    if (j.evalPpl) {
        const auto ev = estimateEval(c, m, {j.seqlen, j.evalBatch, 4, false});
        if (ev.peakBytes() > peak.peakBytes()) peak = ev;
    }
    return peak;
}

std::int64_t availableMemoryBytes() {
    std::int64_t available = -1;
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::int64_t kb = 0;
    std::string unit;
    while (meminfo >> key >> kb) {
        std::getline(meminfo, unit);
        if (key == "MemAvailable:") available = kb * 1024;
    }
    // cgroup v2: the limit of this process's group, less what it already uses.
    std::ifstream cgroup("/proc/self/cgroup");
    std::string line;
    while (std::getline(cgroup, line)) {
        if (line.rfind("0::", 0) != 0) continue;
        const std::string dir = "/sys/fs/cgroup" + line.substr(3);
        std::ifstream maxFile(dir + "/memory.max"), currentFile(dir + "/memory.current");
        std::string maxText;
        std::int64_t current = 0;
        if (maxFile >> maxText && maxText != "max" && currentFile >> current) {
            const std::int64_t room = std::stoll(maxText) - current;
            if (available < 0 || room < available) available = room;
        }
    }
    return available < 0 ? std::int64_t(1) << 62 : available;
}

std::int64_t parseMemorySize(const std::string& text, const std::string& flag) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (...) {
        used = 0;
    }
    std::string unit = text.substr(used);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
    double scale = -1;
    if (unit.empty())
        scale = 1;
    else if (unit == "K" || unit == "k")
        scale = 1024.0;
    else if (unit == "M" || unit == "m")
        scale = 1024.0 * 1024;
    else if (unit == "G" || unit == "g")
        scale = 1024.0 * 1024 * 1024;
    else if (unit == "T" || unit == "t")
        scale = 1024.0 * 1024 * 1024 * 1024;
    if (used == 0 || scale < 0 || !(value > 0) || value * scale > 9e18)
        throw UsageError(flag + " " + text + ": not a memory size (examples: 8G, 512M, 1.5G)");
    return static_cast<std::int64_t>(value * scale);
}

MemoryBudget MemoryBudget::available() { return {availableMemoryBytes(), "available (MemAvailable)"}; }

void requireMemory(const MemoryEstimate& estimate, const MemoryBudget& budget, const std::string& advice) {
    if (estimate.peakBytes() <= budget.bytes) return;
    throw UsageError("this job needs about " + estimate.describe() + ", more than the " + formatBytes(budget.bytes) + " " +
                     budget.source + "; " + advice);
}

} // namespace ol
