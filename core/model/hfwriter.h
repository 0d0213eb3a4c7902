#pragma once
// Writes a checkpoint as a Hugging Face directory (config.json,
// model.safetensors, the tokenizer file). Checkpoints in llama2.c's
// interleaved rotary convention get their q/k rows permuted to Hugging
// Face's rotate-half convention, so the directory computes the same function.
#include <ATen/core/Tensor.h>
#include <string>

namespace ol {

class Checkpoint;
class Progress;

// Tensors are streamed one at a time; the directory appears only when
// complete (written under a temporary name, then renamed). Throws UsageError
// when outDir exists and is not empty, RuntimeFailure when it cannot be written.
void writeHfDirectory(const Checkpoint& checkpoint, const std::string& outDir, Progress* progress = nullptr);

// Row permutation taking interleaved rotary pairs (2i, 2i+1) of every head to
// rotate-half pairs (i, i + headDim/2). weight: [heads*headDim, in].
at::Tensor interleavedToRotateHalf(const at::Tensor& weight, std::int64_t heads, std::int64_t headDim);
} // namespace ol
