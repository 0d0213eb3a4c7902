#pragma once
// Peak resident memory of a long job, estimated from the model's config and
// the job's settings before it starts, so that a job that cannot fit is
// refused with advice instead of being killed an hour in. The terms follow
// what the code holds at its peak (docs/memory.md): one decoder layer in the
// compute dtype (plus its quantized copies while quantizing), the forward's
// activations for one batch of windows, the classifier's vocabulary slice,
// the calibration activations, and the runtime itself.
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

struct ModelConfig;
class Checkpoint;

struct MemoryTerm {
    std::string what;
    std::int64_t bytes = 0;
};

struct MemoryEstimate {
    std::string stage;             // the stage at which the peak falls
    std::vector<MemoryTerm> terms; // what the peak is made of
    std::int64_t peakBytes() const;
    std::string describe() const; // "1.42 GiB at calibration (runtime 180 MiB, ...)"
};

struct ModelFootprint {
    std::int64_t layerParams = 0;   // one decoder layer
    std::int64_t largestTensor = 0; // elements of the largest layer tensor
    std::int64_t totalParams = 0;   // the whole model
    int storedBytes = 2;            // per parameter in the file (F16/BF16: 2, F32: 4)
    static ModelFootprint of(const ModelConfig& config, int storedBytes);
    static ModelFootprint of(const Checkpoint& checkpoint); // stored dtype from its first layer's weights
};

struct EvalJob {
    std::int64_t seqlen = 2048, batch = 4; // windows per forward
    int computeBytes = 4;                  // float32
    bool resident = false;                 // weights kept (small models)
};

struct QuantizeJob {
    std::int64_t nsamples = 128, seqlen = 2048;
    std::int64_t calibrationBatch = 4;
    bool calibrate = true;     // false: statistics reused from a session
    bool sampleInputs = false; // the method keeps every window's layer input (RPTQ, training)
    bool training = false;     // plus FP inputs and targets (LWC, learnable Householder)
    bool transforms = true;    // the method holds smoothed/transformed copies of the layer's weights
    bool evalPpl = false;
    std::int64_t evalBatch = 4;
    std::int64_t spillAbove = -1; // activation sets larger than this live in spill files (-1: never)
};

MemoryEstimate estimateEval(const ModelConfig& config, const ModelFootprint& model, const EvalJob& job);
MemoryEstimate estimateCalibration(const ModelConfig& config, const ModelFootprint& model, std::int64_t nsamples,
                                   std::int64_t seqlen, std::int64_t batch, std::int64_t spillAbove = -1);
MemoryEstimate estimateQuantize(const ModelConfig& config, const ModelFootprint& model, const QuantizeJob& job);

// Memory the job may use: MemAvailable, lowered by a cgroup memory limit when one is set.
std::int64_t availableMemoryBytes();
// "8G", "512M", "1.5GB", "123456" (bytes) → bytes; UsageError naming `flag` otherwise.
std::int64_t parseMemorySize(const std::string& text, const std::string& flag);
std::string formatBytes(std::int64_t bytes); // "1.42 GiB", "512 MiB"

// The budget a job is checked against: --max_memory when given, else the available memory.
struct MemoryBudget {
    std::int64_t bytes = 0;
    std::string source; // "available (MemAvailable)" or "given by --max_memory"
    static MemoryBudget available();
};

// UsageError when the estimate exceeds `budgetBytes`: says by how much and what to change (`advice`).
// Nothing has been written when it throws.
void requireMemory(const MemoryEstimate& estimate, const MemoryBudget& budget, const std::string& advice);

} // namespace ol
