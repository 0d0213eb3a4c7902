#pragma once
// The statistics the preview draws of one side (the sample before or after the transform): channel absmax,
// token ranges, absmax, median channel absmax, kurtosis, the max-pooled surface and the log10|x| histogram.
// Two passes over the float32 data (moments accumulated in float64) instead of a dozen float64 tensor ops:
// the preview's first picture has 250 ms for everything.
#include "core/quant/layerpreview.h"

#include <ATen/core/Tensor.h>
#include <vector>

namespace ol {

// Everything but the histogram and the quantization errors; x: [T, C], any float dtype.
PreviewSide describeSample(const at::Tensor& x);

// log10|x| bin edges (kPreviewHistogramBins + 1) covering both sides: from the smallest nonzero |x|, at
// most 8 decades below the largest value, to the largest, on quarter decades.
constexpr int kPreviewHistogramBins = 64;
std::vector<double> sharedHistogramEdges(const PreviewSide& a, const PreviewSide& b);

// The fraction of x's values per bin of log10|x| (values outside the edges count in the end bins; zero in
// the first). A value within float rounding of an edge may land on either side of it.
void fillHistogram(PreviewSide& side, const at::Tensor& x, const std::vector<double>& edges);

} // namespace ol
